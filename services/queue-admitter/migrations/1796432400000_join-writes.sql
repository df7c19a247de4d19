-- Up Migration
-- The body of every join taken off the log, by its write id ("<source>:<seq>"): a (source, seq) names one join.
-- The same id again with the same queue and user is a retry (it changes nothing, as before); with another queue
-- or user it is a client's reused id: refused and dead-lettered as id_reused_with_different_<field>, and the first
-- join stands. Queue and user ids are short, so they are kept as they are (no hash): that names the field that
-- differs, and a hash would save little beside the ticket each join already holds. Keyed by the id alone, not by
-- queue: a reuse in another queue (another partition) must find it. Joins applied before this table existed
-- have no row: a reuse of one of their ids is not known to be one, and is applied as before (a duplicate).
CREATE TABLE join_writes (
  -- byte order: ids are ASCII, and a linguistic collation only slows the index every write is inserted into
  write_id text COLLATE "C" PRIMARY KEY,
  queue_id text NOT NULL,
  user_id text NOT NULL
);

-- Down Migration
DROP TABLE join_writes;
