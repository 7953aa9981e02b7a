-- Which version of the Markdown renderer wrote what is stored as HTML.
-- When the renderer changes what it writes (version 1 gave headings ids),
-- the service renders the stored Markdown again once, at start-up.
CREATE TABLE renderings (
    what TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO renderings (what, version) VALUES ('posts', 0);
