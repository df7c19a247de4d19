-- Up Migration
-- The merger's state at the hub: definitions, the newest snapshot of each region, and the result.

CREATE TABLE polls (
  poll_id text PRIMARY KEY,
  options text[] NOT NULL,
  region_weights jsonb NOT NULL,
  defined_at_ms bigint NOT NULL,
  -- with defined_at_ms, orders two definitions of one millisecond (the gateway's receipt seq)
  definition_seq bigint NOT NULL,
  definition_id text NOT NULL
);

-- The newest snapshot per (poll, region); a snapshot with a version no higher is stale and ignored.
CREATE TABLE snapshots (
  poll_id text NOT NULL,
  region text NOT NULL,
  version bigint NOT NULL,
  counts jsonb NOT NULL,
  taken_at_ms bigint NOT NULL,
  PRIMARY KEY (poll_id, region)
);

-- The current global result; version grows with every change of fingerprint.
CREATE TABLE results (
  poll_id text PRIMARY KEY,
  version bigint NOT NULL,
  fingerprint text NOT NULL,
  result jsonb NOT NULL,
  computed_at_ms bigint NOT NULL
);

-- Down Migration
DROP TABLE results;
DROP TABLE snapshots;
DROP TABLE polls;
