-- Up Migration
-- A waiting room's settings beyond capacity and activeSeconds, as the last CONFIGURE of the log set them
-- (domain/outflow.ts), and what the fold keeps to apply them:
--   admit_per_minute: the most admissions in any 60 s (null: capacity alone bounds outflow);
--   opens_at_ms: joins received before it wait in the pre-queue, in a drawn order (null: none);
--   abandon_seconds: a waiting ticket not seen for that long is abandoned (null: never);
--   paused: admit nobody, keep the order;
--   settings_version: CONFIGUREs applied, ever;
--   pre_queue_seed: what the pre-queue's order is drawn from (the first CONFIGURE's seed stands);
--   pre_queue_through: the offset of the latest pre-queue join (an ADMIT that did not see it is stale);
--   observed_hold_ms: how long admissions were observed to last (moving mean), for wait estimates.
ALTER TABLE queues
  ADD COLUMN admit_per_minute integer CHECK (admit_per_minute > 0),
  ADD COLUMN opens_at_ms bigint,
  ADD COLUMN abandon_seconds integer CHECK (abandon_seconds > 0),
  ADD COLUMN paused boolean NOT NULL DEFAULT false,
  ADD COLUMN settings_version bigint NOT NULL DEFAULT 0,
  ADD COLUMN pre_queue_seed text,
  ADD COLUMN pre_queue_through bigint NOT NULL DEFAULT -1,
  ADD COLUMN observed_hold_ms double precision;

-- a waiting ticket whose holder was not seen for abandon_seconds ends as 'abandoned'
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
  CHECK (status IN ('waiting', 'active', 'expired', 'left', 'completed', 'abandoned'));

-- Down Migration
ALTER TABLE tickets DROP CONSTRAINT tickets_status_check;
ALTER TABLE tickets ADD CONSTRAINT tickets_status_check
  CHECK (status IN ('waiting', 'active', 'expired', 'left', 'completed'));
ALTER TABLE queues DROP COLUMN observed_hold_ms, DROP COLUMN pre_queue_through, DROP COLUMN pre_queue_seed,
  DROP COLUMN settings_version, DROP COLUMN paused, DROP COLUMN abandon_seconds, DROP COLUMN opens_at_ms,
  DROP COLUMN admit_per_minute;
