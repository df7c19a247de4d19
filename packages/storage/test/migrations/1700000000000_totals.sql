-- Up Migration
CREATE TABLE totals (item_id text PRIMARY KEY, total bigint NOT NULL DEFAULT 0);

-- Down Migration
DROP TABLE totals;
