ALTER TABLE posts DROP COLUMN search;
ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', excerpt), 'B')
    || setweight(to_tsvector('english', body_markdown), 'D')
) STORED;
CREATE INDEX posts_search_idx ON posts USING GIN (search);
ALTER TABLE guides DROP COLUMN search;
ALTER TABLE guides ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', summary), 'B')
    || setweight(to_tsvector('english', search_text), 'D')
) STORED;
CREATE INDEX guides_search_idx ON guides USING GIN (search);

DELETE FROM renderings WHERE what = 'search_words';
DROP TABLE search_word_keys;
