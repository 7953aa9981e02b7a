ALTER TABLE posts ADD COLUMN comments_open BOOLEAN NOT NULL DEFAULT TRUE;

-- Comments from the "Leave a Reply" form. The email is kept for moderation
-- only; no public field reads it.
CREATE TABLE comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    -- 0 for a comment on the post, 1 for a reply to it, and so on.
    depth INTEGER NOT NULL CHECK (depth >= 0),
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_url TEXT,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- SHA-256 of the normalised body: the same email cannot post the same
    -- words on the same post twice, even in a race.
    body_fingerprint TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'spam', 'trash')),
    -- Only a hash of the poster's receipt is kept, as for session tokens.
    receipt_hash TEXT NOT NULL UNIQUE,
    ip TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX comments_duplicate_key ON comments (post_id, author_email, body_fingerprint);
CREATE INDEX comments_post_idx ON comments (post_id, status, parent_id, created_at, id);
CREATE INDEX comments_parent_idx ON comments (parent_id, status, created_at, id);
CREATE INDEX comments_email_idx ON comments (author_email, created_at);
CREATE INDEX comments_ip_idx ON comments (ip, created_at);
