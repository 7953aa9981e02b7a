-- Operations registered by automatic persisted queries, by the SHA-256 of
-- their text. Bounded by the service (oldest first out), so a client
-- cannot grow it without end.
CREATE TABLE persisted_queries (
    hash TEXT PRIMARY KEY,
    query TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX persisted_queries_created_idx ON persisted_queries (created_at);
