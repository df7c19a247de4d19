-- Up Migration
-- Ballots for a poll the region does not know yet wait here, every one of them in arrival order (a user's
-- ballots share a partition, so this is the partition's order): when the definition arrives, each user's first
-- ballot for one of its options counts and the rest are dropped. Before, only the first pending ballot was
-- kept, so a first ballot for an option the poll lacks used up the vote when the definition came late, and not
-- when it came first (issue 17: the same ballots must count the same whatever the order of the two topics).
CREATE TABLE pending_ballots (
  arrival bigint GENERATED ALWAYS AS IDENTITY,
  poll_id text NOT NULL,
  user_id text NOT NULL,
  option_id text NOT NULL,
  write_id text NOT NULL,
  cast_at_ms bigint NOT NULL,
  PRIMARY KEY (poll_id, user_id, write_id)
);
INSERT INTO pending_ballots (poll_id, user_id, option_id, write_id, cast_at_ms)
  SELECT poll_id, user_id, option_id, write_id, cast_at_ms FROM ballots WHERE status = 'pending';
-- a voided ballot never held the vote under the rule: its user may still vote
DELETE FROM ballots WHERE status IN ('pending', 'void');

-- Down Migration
DROP TABLE pending_ballots;
