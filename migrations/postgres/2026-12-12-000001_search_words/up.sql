-- The dictionary that corrects a reader's typos: every word of the posts
-- and guides (four letters or more), filed under itself and under the
-- strings that deleting one or two of its letters makes (see the domain's
-- search::dictionary). A typed word's close words are then an index seek
-- per key. Filled by the service once at start-up (see `renderings`) and
-- as posts and guides are written.
CREATE TABLE search_word_keys (
    key TEXT COLLATE "C" NOT NULL,
    word TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (key, word)
);
INSERT INTO renderings (what, version) VALUES ('search_words', 0);

-- Documents split into words as the search box splits a query: at anything
-- that is not a letter or a digit. PostgreSQL's parser otherwise keeps
-- "node.js", "HTTP/2" and "v1.2" whole, which the words "node js" or
-- "http 2" a reader types never match.
ALTER TABLE posts DROP COLUMN search;
ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')), 'A')
    || setweight(to_tsvector('english', regexp_replace(excerpt, '[^[:alnum:]]+', ' ', 'g')), 'B')
    || setweight(to_tsvector('english', regexp_replace(body_markdown, '[^[:alnum:]]+', ' ', 'g')), 'D')
) STORED;
CREATE INDEX posts_search_idx ON posts USING GIN (search);
ALTER TABLE guides DROP COLUMN search;
ALTER TABLE guides ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', regexp_replace(title, '[^[:alnum:]]+', ' ', 'g')), 'A')
    || setweight(to_tsvector('english', regexp_replace(summary, '[^[:alnum:]]+', ' ', 'g')), 'B')
    || setweight(to_tsvector('english', regexp_replace(search_text, '[^[:alnum:]]+', ' ', 'g')), 'D')
) STORED;
CREATE INDEX guides_search_idx ON guides USING GIN (search);
