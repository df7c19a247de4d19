-- Up Migration
-- One row per stream and minute, upserted once per consumed batch (never per heartbeat).
CREATE TABLE viewer_minutes (
  stream_id text NOT NULL,
  minute timestamptz NOT NULL,
  heartbeats bigint NOT NULL DEFAULT 0,
  peak_concurrent integer NOT NULL DEFAULT 0,
  PRIMARY KEY (stream_id, minute)
);

-- Distinct sessions per stream and minute; hour and day unique counts are distinct counts over these rows.
CREATE TABLE viewer_minute_sessions (
  stream_id text NOT NULL,
  minute timestamptz NOT NULL,
  session_id text NOT NULL,
  PRIMARY KEY (stream_id, minute, session_id)
);

-- The offset fence: the last Kafka offset whose heartbeats are in the tables above, moved in the same
-- transaction, so a replay or a redelivery never counts a heartbeat twice.
CREATE TABLE applied_offsets (
  consumer_group text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  PRIMARY KEY (consumer_group, topic, partition)
);

-- Down Migration
DROP TABLE applied_offsets;
DROP TABLE viewer_minute_sessions;
DROP TABLE viewer_minutes;
