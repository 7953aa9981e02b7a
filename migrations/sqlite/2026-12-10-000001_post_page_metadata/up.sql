-- What a post's page shows besides its content, when the editor sets it:
-- a featured image (address, alt text, size) and the title and description
-- search engines and link previews show in place of the title and excerpt.
-- One JSON document, read and written whole with the post (never queried
-- by its parts), checked by the domain before it is stored.
ALTER TABLE posts ADD COLUMN page_meta TEXT;
