-- Up Migration
-- One region's state (its own schema, as if its own database: nothing here is read by another region).

-- The polls this region knows, from the hub's definitions; the newest definition wins.
CREATE TABLE polls (
  poll_id text PRIMARY KEY,
  options text[] NOT NULL,
  defined_at_ms bigint NOT NULL,
  -- with defined_at_ms, orders two definitions of one millisecond (the gateway's receipt seq)
  definition_seq bigint NOT NULL,
  definition_id text NOT NULL
);

-- One ballot per (poll, user): the first. Pending while the poll's definition has not arrived; void when it
-- arrived without the ballot's option. Keyed by poll first, so the table can be hash-partitioned by poll.
CREATE TABLE ballots (
  poll_id text NOT NULL,
  user_id text NOT NULL,
  option_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('counted', 'pending', 'void')),
  write_id text NOT NULL,
  cast_at_ms bigint NOT NULL,
  PRIMARY KEY (poll_id, user_id)
);
CREATE INDEX ballots_pending ON ballots (poll_id) WHERE status = 'pending';

-- Counted ballots per option, moved in the same transaction as the ballots that explain them.
CREATE TABLE tallies (
  poll_id text NOT NULL,
  option_id text NOT NULL,
  votes bigint NOT NULL CHECK (votes >= 0),
  PRIMARY KEY (poll_id, option_id)
);

-- The newest global result this region has received; a lower or equal version never replaces it.
CREATE TABLE global_results (
  poll_id text PRIMARY KEY,
  version bigint NOT NULL,
  result jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE global_results;
DROP TABLE tallies;
DROP TABLE ballots;
DROP TABLE polls;
