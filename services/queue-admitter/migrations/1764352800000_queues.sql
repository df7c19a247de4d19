-- Up Migration
-- Postgres is the source of truth for queues and tickets; Redis holds the read model (positions in O(log n))
-- and is rebuilt from here when lost. `partition` is the Kafka partition of the queue's commands: the owner of
-- that partition is the one admitter of the queue.
CREATE TABLE queues (
  queue_id text PRIMARY KEY,
  partition integer NOT NULL,
  capacity integer NOT NULL CHECK (capacity > 0),
  active_seconds integer NOT NULL CHECK (active_seconds > 0),
  admitted_total bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX queues_by_partition ON queues (partition);

CREATE TABLE tickets (
  queue_id text NOT NULL,
  ticket_id text NOT NULL,
  user_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('waiting', 'active', 'expired', 'left', 'completed')),
  -- the position of the join in the queue's partition: arrival order at the gateway
  join_order bigint NOT NULL,
  admitted_at_ms bigint,
  expires_at_ms bigint,
  PRIMARY KEY (queue_id, ticket_id)
);
-- one live ticket per user and queue, enforced by the database as well as by the rule
CREATE UNIQUE INDEX tickets_one_live_per_user ON tickets (queue_id, user_id) WHERE status IN ('waiting', 'active');
CREATE INDEX tickets_waiting_line ON tickets (queue_id, join_order) WHERE status = 'waiting';
CREATE INDEX tickets_active ON tickets (queue_id, expires_at_ms) WHERE status = 'active';
CREATE INDEX tickets_recent_admissions ON tickets (queue_id, admitted_at_ms) WHERE admitted_at_ms IS NOT NULL;

-- A second join by a user who holds a live ticket names that ticket.
CREATE TABLE ticket_aliases (
  queue_id text NOT NULL,
  ticket_id text NOT NULL,
  live_ticket_id text NOT NULL,
  PRIMARY KEY (queue_id, ticket_id)
);

-- Events for the event topic, written in the same transaction as the change they report and deleted once
-- Kafka acknowledged them (an outbox): an admission is never committed without its event reaching the topic.
CREATE TABLE event_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partition integer NOT NULL,
  queue_id text NOT NULL,
  event jsonb NOT NULL
);
CREATE INDEX event_outbox_by_partition ON event_outbox (partition, id);

-- Down Migration
DROP TABLE event_outbox;
DROP TABLE ticket_aliases;
DROP TABLE tickets;
DROP TABLE queues;
