-- What a post said before each edit, and who made the edit.
CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- The post's version this revision preserves.
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    body_markdown TEXT NOT NULL,
    edited_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX post_revisions_post_idx ON post_revisions (post_id, id);

-- Slugs a published post had before: links to them keep working.
CREATE TABLE post_slugs (
    slug TEXT PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX post_slugs_post_idx ON post_slugs (post_id);
