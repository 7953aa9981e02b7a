ALTER TABLE posts DROP COLUMN page_meta;
