-- Up Migration
-- History by event time (issue 17). Each session's heartbeats per minute as marks: a bit per second with a
-- "playing" heartbeat and one per second with an "ended" one (bit i = second i of the minute). Marks only
-- gain bits, so peaks computed from them are the same for any delivery order and for a rebuild.
ALTER TABLE viewer_minute_sessions ADD COLUMN playing bigint NOT NULL DEFAULT 0, ADD COLUMN ended bigint NOT NULL DEFAULT 0;

-- Concurrent viewers of each of the minute's 60 seconds (event time): peak_concurrent is the busiest. Kept in
-- the minute's own row, so a batch moves them with the upsert it makes anyway (a row per second cost a second
-- statement and 60 times the rows).
ALTER TABLE viewer_minutes ADD COLUMN concurrency integer[] NOT NULL DEFAULT array_fill(0, ARRAY[60]);

-- Seq windows now keep their two newest blocks of 1,024 seqs, and blocks that left a window are archived
-- (packages/idempotency), so a late retry is told apart however many newer writes its source sent. Windows
-- written before remembered only their last 1,024 seqs exactly: below that they start forgotten.
ALTER TABLE seq_windows ADD COLUMN horizon bigint NOT NULL DEFAULT 0;
UPDATE seq_windows SET horizon = greatest(0, highest - 1023);
CREATE TABLE seq_window_blocks (
  scope text NOT NULL,
  source text NOT NULL,
  block bigint NOT NULL,
  seen bytea NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, source, block)
);
CREATE INDEX seq_window_blocks_by_age ON seq_window_blocks (archived_at);

-- Down Migration
DROP TABLE seq_window_blocks;
ALTER TABLE seq_windows DROP COLUMN horizon;
ALTER TABLE viewer_minutes DROP COLUMN concurrency;
ALTER TABLE viewer_minute_sessions DROP COLUMN ended, DROP COLUMN playing;
