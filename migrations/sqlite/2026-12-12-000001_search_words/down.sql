DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
    title, excerpt, body, kind UNINDEXED, ref_id UNINDEXED,
    tokenize = 'porter unicode61'
);
INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
    SELECT id * 2, title, excerpt, body_markdown, 'post', id FROM posts;
INSERT INTO search_index (rowid, title, excerpt, body, kind, ref_id)
    SELECT id * 2 + 1, title, summary, search_text, 'guide', id FROM guides;

DELETE FROM renderings WHERE what = 'search_words';
DROP TABLE search_word_keys;
