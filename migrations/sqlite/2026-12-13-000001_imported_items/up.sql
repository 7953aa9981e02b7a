-- What an import brought in from another publication (a WordPress site):
-- the source site, the kind of thing and its id there, and the row it
-- became here, so that importing the same export again adds nothing twice.
CREATE TABLE imported_items (
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    PRIMARY KEY (source, kind, source_id)
);
