-- Up Migration
-- The share of tickets observed to leave the line without being admitted (left or abandoned while waiting), a
-- moving mean the fold keeps from the log (domain/tickets.ts): wait estimates count only the share of those
-- ahead that the line keeps.
ALTER TABLE queues ADD COLUMN observed_attrition double precision NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE queues DROP COLUMN observed_attrition;
