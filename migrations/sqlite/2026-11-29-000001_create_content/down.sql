DROP TABLE post_tags;
DROP TABLE posts;
DROP TABLE tags;
DROP TABLE authors;
