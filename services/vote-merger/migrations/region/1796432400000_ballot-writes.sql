-- Up Migration
-- The body of every ballot the region took off its topic, by its write id ("<source>:<seq>"): a (source, seq)
-- names one ballot. The same id again with the same poll, user, option and region is a retry or a replay (it
-- changes nothing, as before); with another one it is a client's reused id: refused and dead-lettered as
-- id_reused_with_different_<field>, and the first ballot stands. Recorded whatever the ballot then did (counted,
-- pending, superseded, refused): the id named that body. The ids are short, so they are kept as they are (no
-- hash): that names the field that differs. Keyed by the id alone: a reuse for another poll or user lands on
-- another partition and must find it. Ballots taken before this table existed have no row: a reuse of one of
-- their ids is not known to be one, and is decided as before (one vote per poll and user).
CREATE TABLE ballot_writes (
  -- byte order: ids are ASCII, and a linguistic collation only slows the index every write is inserted into
  write_id text COLLATE "C" PRIMARY KEY,
  poll_id text NOT NULL,
  user_id text NOT NULL,
  option_id text NOT NULL,
  region text NOT NULL
);

-- Down Migration
DROP TABLE ballot_writes;
