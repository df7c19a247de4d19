-- Up Migration
-- Admission decisions go into the commands log (ADMIT and EXPIRE records) and are applied in partition order by
-- the same fold as every other record, so a queue rebuilt from its topic equals the live one.

-- The offset fence (packages/idempotency): the last offset applied per (group, topic, partition), read under the
-- partition's lock and moved in the same transaction as the state change. Records at or below it are skipped,
-- so rewinding the group re-applies nothing. The admission round also reads it: a partition gets no new
-- decision while the last one is not applied yet.
CREATE TABLE applied_offsets (
  consumer_group text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL,
  "offset" bigint NOT NULL,
  PRIMARY KEY (consumer_group, topic, partition)
);

-- What the fold keeps per queue besides its tickets, all from the log:
--   active_count: tickets active now (the capacity check of an ADMIT at its point of the log);
--   admitted_through: the basisOffset of the last ADMIT applied (a decision from no later a state is a repeat);
--   clock_ms: the latest time of a record that changed the queue, where the admission rate's window ends.
ALTER TABLE queues
  ADD COLUMN active_count bigint NOT NULL DEFAULT 0,
  ADD COLUMN admitted_through bigint NOT NULL DEFAULT -1,
  ADD COLUMN clock_ms bigint NOT NULL DEFAULT 0;
UPDATE queues q SET active_count = (SELECT count(*) FROM tickets t WHERE t.queue_id = q.queue_id AND t.status = 'active'),
                    clock_ms = COALESCE((SELECT max(admitted_at_ms) FROM tickets t WHERE t.queue_id = q.queue_id), 0);

-- Down Migration
ALTER TABLE queues DROP COLUMN clock_ms, DROP COLUMN admitted_through, DROP COLUMN active_count;
DROP TABLE applied_offsets;
