DROP TABLE renderings;
