-- Operations an operator registered ahead of time (`waypost operations
-- add`) for trusted-documents mode, by the SHA-256 of their exact text,
-- shared by every instance. Apart from persisted_queries on purpose: those
-- are whatever clients sent, evicted oldest first; these are vouched for
-- and stay.
CREATE TABLE trusted_documents (
    hash TEXT COLLATE "C" PRIMARY KEY,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
