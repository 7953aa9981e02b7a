DROP TABLE similar_term_counts;
