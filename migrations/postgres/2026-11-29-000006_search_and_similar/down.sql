DROP TABLE post_neighbours;
DROP TABLE post_terms;
DROP INDEX guides_search_idx;
ALTER TABLE guides DROP COLUMN search;
DROP INDEX posts_search_idx;
ALTER TABLE posts DROP COLUMN search;
ALTER TABLE guides DROP COLUMN search_text;
