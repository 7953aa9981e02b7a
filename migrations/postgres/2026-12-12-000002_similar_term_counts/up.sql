-- How many indexed posts hold each term among their strongest, kept in the
-- transaction that changes a post's terms, so that indexing one post reads
-- a stored count per term instead of counting every holder (which grows
-- with the archive).
CREATE TABLE similar_term_counts (
    term TEXT COLLATE "C" PRIMARY KEY,
    posts BIGINT NOT NULL
);
INSERT INTO similar_term_counts (term, posts)
    SELECT term, COUNT(*) FROM post_terms GROUP BY term;
