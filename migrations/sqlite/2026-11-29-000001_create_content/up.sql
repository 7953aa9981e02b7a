-- SQLite compares text with the BINARY collation, matching PostgreSQL's
-- COLLATE "C" columns.
CREATE TABLE authors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    avatar_url TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    reading_time_minutes INTEGER NOT NULL CHECK (reading_time_minutes >= 0),
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'trashed')),
    author_id BIGINT NOT NULL REFERENCES authors (id) ON DELETE RESTRICT,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    -- Bumped by every edit; an update names the version it started from.
    version BIGINT NOT NULL DEFAULT 1,
    -- A published post has a date; a future date means scheduled.
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);

-- One index per ordering the API offers, led by status so that only
-- published posts are walked.
CREATE INDEX posts_status_published_at_idx ON posts (status, published_at, id);
CREATE INDEX posts_status_title_idx ON posts (status, title, id);
CREATE INDEX posts_status_updated_at_idx ON posts (status, updated_at, id);
CREATE INDEX posts_author_published_at_idx ON posts (author_id, status, published_at, id);

CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);

CREATE INDEX post_tags_tag_idx ON post_tags (tag_id, post_id);
