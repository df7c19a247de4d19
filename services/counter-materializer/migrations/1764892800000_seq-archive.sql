-- Up Migration
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
