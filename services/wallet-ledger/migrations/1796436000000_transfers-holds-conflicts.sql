-- Up Migration
-- A ledger people can build payments on: transfers, linked groups and holds, and ids that name one write.
--
-- Entries: one per (user, write, leg). A transfer writes the sender's leg 0 and the receiver's leg 1; a group one
-- per member; a capture the owner's and its payee's; a hold's expiry is leg 1 of the hold's own id. Each entry
-- says what it did to the balance and to what holds keep (held), and both after it, so the chains can be checked.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_type_check;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_amount_minor_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_type_check
  CHECK (type IN ('credit', 'debit', 'transfer', 'hold', 'capture', 'release', 'expiry'));
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_amount_minor_check CHECK (amount_minor >= 0);
ALTER TABLE ledger_entries
  ADD COLUMN leg smallint NOT NULL DEFAULT 0,
  ADD COLUMN balance_delta_minor bigint,
  ADD COLUMN held_delta_minor bigint NOT NULL DEFAULT 0,
  ADD COLUMN held_after_minor bigint NOT NULL DEFAULT 0 CHECK (held_after_minor >= 0),
  ADD COLUMN counterparty text,
  ADD COLUMN hold_id text;
-- entries are append-only; this one rewrite fills the delta of the entries written before it existed
ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only;
UPDATE ledger_entries SET balance_delta_minor =
  CASE WHEN status <> 'applied' THEN 0 WHEN type = 'credit' THEN amount_minor ELSE -amount_minor END;
ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only;
ALTER TABLE ledger_entries ALTER COLUMN balance_delta_minor SET NOT NULL;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey;
ALTER TABLE ledger_entries ADD PRIMARY KEY (user_id, command_id, leg);

-- What holds keep of each balance; available = balance - held never goes below zero, and the table says so.
ALTER TABLE balances ADD COLUMN held_minor bigint NOT NULL DEFAULT 0 CHECK (held_minor >= 0);
ALTER TABLE balances ADD CONSTRAINT balances_available_check CHECK (held_minor <= balance_minor);

-- Each write once, by its id "<source>:<seq>", with its body: the same id with another body is a conflict.
-- A body field that is NULL is one the write did not have, except where "unknown" is spelled out below.
CREATE TABLE ledger_writes (
  write_id text PRIMARY KEY,
  body jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('applied', 'rejected')),
  rejection text,
  failed_member integer,
  requested_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
-- The writes recorded before bodies were kept: their users and grant members are not known (ids were per user
-- then), so the body leaves them out, and what it leaves out matches anything. An id one user had is known by its
-- type, asset and amount; an id several users shared then (grants, or different commands) by nothing, so that a
-- replay of any of them is a retry, never a conflict.
INSERT INTO ledger_writes (write_id, body, status, rejection, requested_at)
SELECT command_id,
       CASE WHEN count(*) = 1
            THEN jsonb_build_object('type', upper(min(type)), 'asset', min(asset), 'amount', min(amount_minor)::text)
            ELSE '{}'::jsonb END,
       min(status), min(rejection), min(coalesce(requested_at, applied_at))
FROM ledger_entries GROUP BY command_id;

-- Reuses of an id with another body: each distinct one once, however often it is retried.
CREATE TABLE ledger_conflicts (
  write_id text NOT NULL,
  body jsonb NOT NULL,
  user_id text NOT NULL,
  field text NOT NULL,
  requested_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (write_id, body)
);

-- Holds: pending until captured, released or expired. The expiry loop finds the due ones by the partial index.
CREATE TABLE holds (
  hold_id text PRIMARY KEY,
  user_id text NOT NULL,
  asset text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  payee text,
  expires_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'captured', 'released', 'expired')),
  captured_minor bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0 AND captured_minor <= amount_minor),
  reason text,
  requested_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX holds_due ON holds (expires_at) WHERE status = 'pending';
CREATE INDEX holds_by_user ON holds (user_id, status);

-- Down Migration
DROP TABLE holds;
DROP TABLE ledger_conflicts;
DROP TABLE ledger_writes;
ALTER TABLE balances DROP CONSTRAINT balances_available_check;
ALTER TABLE balances DROP COLUMN held_minor;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_pkey;
ALTER TABLE ledger_entries ADD PRIMARY KEY (user_id, command_id);
ALTER TABLE ledger_entries DROP COLUMN hold_id, DROP COLUMN counterparty, DROP COLUMN held_after_minor,
  DROP COLUMN held_delta_minor, DROP COLUMN balance_delta_minor, DROP COLUMN leg;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_amount_minor_check;
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_type_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_type_check CHECK (type IN ('credit', 'debit'));
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_amount_minor_check CHECK (amount_minor > 0);
