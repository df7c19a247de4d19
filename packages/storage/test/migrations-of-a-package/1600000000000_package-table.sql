-- Up Migration
-- Sorts before the service's own files, which ran already: in one history the runner would refuse it.
CREATE TABLE IF NOT EXISTS package_table (id int PRIMARY KEY);

-- Down Migration
DROP TABLE package_table;
