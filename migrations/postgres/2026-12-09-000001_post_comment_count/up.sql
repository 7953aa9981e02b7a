-- How many comments a reader can reach on each post (approved, under
-- approved comments all the way up), kept with the post: every list of
-- posts shows it, and counting a thread at each read cost more than the
-- rest of the list. Each write that can change it counts the post's
-- comments again (queries::comment::recount).
ALTER TABLE posts ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0;

WITH RECURSIVE shown(id, post_id) AS (
    SELECT c.id, c.post_id FROM comments c
    WHERE c.status = 'approved' AND c.parent_id IS NULL
    UNION ALL
    SELECT c.id, c.post_id FROM comments c
    JOIN shown s ON c.parent_id = s.id
    WHERE c.status = 'approved'
)
UPDATE posts SET comment_count = counted.total
FROM (SELECT post_id, COUNT(*) AS total FROM shown GROUP BY post_id) counted
WHERE posts.id = counted.post_id;
