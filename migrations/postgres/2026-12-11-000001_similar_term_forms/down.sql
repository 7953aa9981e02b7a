DELETE FROM renderings WHERE what = 'similar';
ALTER TABLE post_terms DROP COLUMN forms;
