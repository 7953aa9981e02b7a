-- Full-text search: one FTS5 table over posts and guides (title, excerpt or
-- summary, body), with the Porter stemmer, kept in sync by triggers. Row ids
-- are 2 * id for posts and 2 * id + 1 for guides. A guide's body is its
-- sections as plain text, which Waypost keeps in search_text.
ALTER TABLE guides ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
CREATE VIRTUAL TABLE search_index USING fts5(
    title, excerpt, body, kind UNINDEXED, ref_id UNINDEXED,
    tokenize = 'porter unicode61'
);
INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
    SELECT id * 2, title, excerpt, body_markdown, 'post', id FROM posts;
INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
    SELECT id * 2 + 1, title, summary, search_text, 'guide', id FROM guides;

CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
    INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
        VALUES (new.id * 2, new.title, new.excerpt, new.body_markdown, 'post', new.id);
END;
CREATE TRIGGER posts_search_update AFTER UPDATE OF title, excerpt, body_markdown ON posts BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 2;
    INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
        VALUES (new.id * 2, new.title, new.excerpt, new.body_markdown, 'post', new.id);
END;
CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 2;
END;
CREATE TRIGGER guides_search_insert AFTER INSERT ON guides BEGIN
    INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
        VALUES (new.id * 2 + 1, new.title, new.summary, new.search_text, 'guide', new.id);
END;
CREATE TRIGGER guides_search_update AFTER UPDATE OF title, summary, search_text ON guides BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 2 + 1;
    INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
        VALUES (new.id * 2 + 1, new.title, new.summary, new.search_text, 'guide', new.id);
END;
CREATE TRIGGER guides_search_delete AFTER DELETE ON guides BEGIN
    DELETE FROM search_index WHERE rowid = old.id * 2 + 1;
END;

-- Similar posts. post_terms holds each indexed post's strongest weighted
-- terms (an inverted index); post_neighbours holds each post's nearest
-- posts, so reading them is one indexed lookup.
CREATE TABLE post_terms (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    term TEXT NOT NULL,
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
