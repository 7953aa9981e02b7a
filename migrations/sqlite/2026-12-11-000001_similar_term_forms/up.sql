-- The words a post wrote for each of its stemmed terms ("indexes index"),
-- most frequent first, so that "similar because of" shows words from the
-- posts rather than stems. Rows written before hold none until the index
-- is rebuilt, which the service does once at start-up (see `renderings`).
ALTER TABLE post_terms ADD COLUMN forms TEXT NOT NULL DEFAULT '';
INSERT INTO renderings (what, version) VALUES ('similar', 0);
