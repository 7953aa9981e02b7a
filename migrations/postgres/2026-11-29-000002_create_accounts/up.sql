-- Emails are stored trimmed and lowercased, so the unique index makes them
-- unique case-insensitively on both backends.
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT COLLATE "C" NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('author', 'editor', 'admin')),
    author_id BIGINT REFERENCES authors (id) ON DELETE SET NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- Only a hash of each session token is kept: a leaked table holds no
-- usable token.
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Failed sign-ins per email, kept in the database so that every instance
-- sees the same count.
CREATE TABLE sign_in_failures (
    id BIGSERIAL PRIMARY KEY,
    email TEXT COLLATE "C" NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_failures_email_idx ON sign_in_failures (email, failed_at);
