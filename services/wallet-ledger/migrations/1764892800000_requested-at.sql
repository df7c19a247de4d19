-- Up Migration
-- When the gateway accepted each command: the transaction's time in the history, taken from the command
-- itself, so a ledger rebuilt from the topic shows the same times as the live one (applied_at is when this
-- ledger applied it). Entries written before have none; the history shows their applied_at instead.
ALTER TABLE ledger_entries ADD COLUMN requested_at timestamptz;

-- Down Migration
ALTER TABLE ledger_entries DROP COLUMN requested_at;
