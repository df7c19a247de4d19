-- Up Migration
-- The (source, seq) windows and their archive (src/postgres-seq-windows.ts): one window row per scope and
-- source, and one block row per 1,024 seqs that left a window, kept for the retention period. Services that wrote
-- these tables into their own migrations before this package shipped them (viewer-aggregator,
-- counter-materializer) keep those files, since their databases recorded them; services run them first, so
-- here the tables already exist, in this very shape, and IF NOT EXISTS leaves them as they are.
CREATE TABLE IF NOT EXISTS seq_windows (
  scope text NOT NULL,
  source text NOT NULL,
  highest bigint NOT NULL,
  seen bytea NOT NULL,
  touched_at timestamptz NOT NULL DEFAULT now(),
  -- seqs below it are forgotten: a write older than the archive is reported, not applied
  horizon bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (scope, source)
);
CREATE TABLE IF NOT EXISTS seq_window_blocks (
  scope text NOT NULL,
  source text NOT NULL,
  block bigint NOT NULL,
  seen bytea NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, source, block)
);
-- pruning forgets blocks by age
CREATE INDEX IF NOT EXISTS seq_window_blocks_by_age ON seq_window_blocks (archived_at);

-- Down Migration
-- Nothing: the tables may predate this migration (a service's own), and what they remember must not be lost.
