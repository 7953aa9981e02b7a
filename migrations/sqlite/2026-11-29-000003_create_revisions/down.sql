DROP TABLE post_slugs;
DROP TABLE post_revisions;
