-- The dictionary that corrects a reader's typos: every word of the posts
-- and guides (four letters or more), filed under itself and under the
-- strings that deleting one or two of its letters makes (see the domain's
-- search::dictionary). A typed word's close words are then an index seek
-- per key. Filled by the service once at start-up (see `renderings`) and
-- as posts and guides are written.
CREATE TABLE search_word_keys (
    key TEXT NOT NULL,
    word TEXT NOT NULL,
    PRIMARY KEY (key, word)
) WITHOUT ROWID;
INSERT INTO renderings (what, version) VALUES ('search_words', 0);

-- Prefix indexes for words being typed (`kub`, `kube`): the full-text
-- index is built again with them, from the posts and guides. The triggers
-- that keep it in step name it and stay.
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
    title, excerpt, body, kind UNINDEXED, ref_id UNINDEXED,
    tokenize = 'porter unicode61', prefix = '2 3 4'
);
INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
    SELECT id * 2, title, excerpt, body_markdown, 'post', id FROM posts;
INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
    SELECT id * 2 + 1, title, summary, search_text, 'guide', id FROM guides;
