DROP TABLE comments;
ALTER TABLE posts DROP COLUMN comments_open;
