-- Up Migration
-- Postgres is the source of truth. Every command becomes exactly one entry, applied or rejected, named by
-- (user_id, command_id) — command_id is "<source>:<seq>", so the grants of one request to many users are
-- distinct entries and a retried or replayed command can never be a second one.
CREATE TABLE ledger_entries (
  entry_no bigint GENERATED ALWAYS AS IDENTITY,
  user_id text NOT NULL,
  command_id text NOT NULL,
  type text NOT NULL CHECK (type IN ('credit', 'debit')),
  asset text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  status text NOT NULL CHECK (status IN ('applied', 'rejected')),
  reason text,
  rejection text,
  balance_after_minor bigint NOT NULL CHECK (balance_after_minor >= 0),
  is_grant boolean NOT NULL DEFAULT false,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, command_id)
);
-- history newest first, per user
CREATE INDEX ledger_entries_history ON ledger_entries (user_id, entry_no DESC);

-- The ledger is append-only: history is never rewritten, only added to.
CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

-- Balances, changed in the same transaction as the entries that explain them; never below zero.
CREATE TABLE balances (
  user_id text NOT NULL,
  asset text NOT NULL,
  balance_minor bigint NOT NULL CHECK (balance_minor >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, asset)
);

-- Down Migration
DROP TABLE balances;
DROP TRIGGER ledger_entries_append_only ON ledger_entries;
DROP FUNCTION ledger_entries_append_only();
DROP TABLE ledger_entries;
