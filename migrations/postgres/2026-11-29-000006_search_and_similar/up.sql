-- Full-text search: a weighted tsvector per post and guide (title A, excerpt
-- or summary B, body D), kept up to date by the database itself, with a GIN
-- index. A guide's body is its sections as plain text, which Waypost keeps
-- in search_text when it writes the guide.
ALTER TABLE guides ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', excerpt), 'B')
    || setweight(to_tsvector('english', body_markdown), 'D')
) STORED;
CREATE INDEX posts_search_idx ON posts USING GIN (search);
ALTER TABLE guides ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', summary), 'B')
    || setweight(to_tsvector('english', search_text), 'D')
) STORED;
CREATE INDEX guides_search_idx ON guides USING GIN (search);

-- Similar posts. post_terms holds each indexed post's strongest weighted
-- terms (an inverted index: finding the posts that share a term is an index
-- seek); post_neighbours holds each post's nearest posts, so reading them
-- is one indexed lookup.
CREATE TABLE post_terms (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    term TEXT COLLATE "C" NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (post_id, term)
);
CREATE INDEX post_terms_term_idx ON post_terms (term, weight DESC, post_id);

CREATE TABLE post_neighbours (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    similar_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    score DOUBLE PRECISION NOT NULL,
    -- JSON array of the most important shared terms.
    shared_terms TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (post_id, similar_id),
    CHECK (post_id <> similar_id)
);
CREATE INDEX post_neighbours_rank_idx ON post_neighbours (post_id, score DESC, similar_id);
CREATE INDEX post_neighbours_similar_idx ON post_neighbours (similar_id);
