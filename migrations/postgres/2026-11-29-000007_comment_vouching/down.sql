ALTER TABLE comments DROP COLUMN vouched;
