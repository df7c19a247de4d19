-- Up Migration
-- Durable counts per item, the source of truth Redis is rebuilt from. `partition` is the Kafka partition the
-- item's events come from, so the owner of a partition can rebuild exactly its items; `version` grows with
-- every write, so a slower writer can never put an older projection over a newer one in Redis.
CREATE TABLE items (
  item_id text PRIMARY KEY,
  partition integer NOT NULL,
  likes bigint NOT NULL DEFAULT 0,
  views bigint NOT NULL DEFAULT 0,
  unique_viewers bigint NOT NULL DEFAULT 0,
  version bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_by_partition ON items (partition);
-- all-time rankings straight from an index while Redis is being rebuilt: O(log n + N), never a sort of all rows
CREATE INDEX items_by_likes ON items (likes DESC, item_id COLLATE "C");
CREATE INDEX items_by_views ON items (views DESC, item_id COLLATE "C");

CREATE TABLE item_counters (
  item_id text NOT NULL,
  name text NOT NULL,
  value bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (item_id, name)
);
CREATE INDEX item_counters_by_value ON item_counters (name, value DESC, item_id COLLATE "C");

-- One like register per item and user: the newest event (time, then partition offset) and whether it likes.
CREATE TABLE item_likes (
  item_id text NOT NULL,
  user_id text NOT NULL,
  liked boolean NOT NULL,
  at_ms bigint NOT NULL,
  "offset" bigint NOT NULL,
  PRIMARY KEY (item_id, user_id)
);

-- Distinct viewers per item: uniqueViewers is exact (the count of rows inserted), not an estimate.
CREATE TABLE item_viewers (
  item_id text NOT NULL,
  viewer_id text NOT NULL,
  PRIMARY KEY (item_id, viewer_id)
);

-- Windowed-ranking contributions per item, metric and event minute; kept for the longest window.
CREATE TABLE item_minutes (
  item_id text NOT NULL,
  metric text NOT NULL,
  minute bigint NOT NULL,
  value bigint NOT NULL,
  partition integer NOT NULL,
  PRIMARY KEY (item_id, metric, minute)
);
CREATE INDEX item_minutes_by_minute ON item_minutes (minute, partition);

-- Offset fence per partition and (source, seq) windows (packages/idempotency), moved in the same transaction.
CREATE TABLE applied_offsets (
  consumer_group text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  PRIMARY KEY (consumer_group, topic, partition)
);
CREATE TABLE seq_windows (
  scope text NOT NULL,
  source text NOT NULL,
  highest bigint NOT NULL,
  seen bytea NOT NULL,
  touched_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, source)
);

-- Down Migration
DROP TABLE seq_windows;
DROP TABLE applied_offsets;
DROP TABLE item_minutes;
DROP TABLE item_viewers;
DROP TABLE item_likes;
DROP TABLE item_counters;
DROP TABLE items;
