-- Up Migration
-- The offset fence (src/postgres-fence.ts): the last offset applied per (group, topic, partition), read under the
-- partition's lock and moved in the same transaction as the state change. Services that wrote this table into
-- their own migrations before this package shipped it (viewer-aggregator, counter-materializer, queue-admitter)
-- keep those files, since their databases recorded them; services run them first, so here the table already
-- exists and IF NOT EXISTS leaves it as it is.
CREATE TABLE IF NOT EXISTS applied_offsets (
  consumer_group text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  PRIMARY KEY (consumer_group, topic, partition)
);

-- Down Migration
-- Nothing: the table may predate this migration (a service's own), and the fence it holds must not be lost.
