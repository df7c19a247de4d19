-- Up Migration
-- Which (source, seq) writes are already in the history: one row per partition and source with its highest seq
-- and a bitmap of the seqs just below it (packages/idempotency). A client that retries a heartbeat produces two records at
-- two offsets, which the offset fence cannot tell apart; this can.
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
