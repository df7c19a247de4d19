-- Up Migration
-- Hot streams (issue 23): one stream's heartbeats may come from many partitions (a shard each), whose batches
-- commit side by side. A minute row per partition that writes it (scope `p<partition>`; '' for rows written
-- before), so no two batches ever update the same row: no lock waits between a hot stream's shards, and no
-- deadlock between batches that touch the same minutes in another order. A read sums a minute's rows: heartbeats
-- add up, and the peak is the busiest second of the summed per-second concurrency (exact: each session's
-- coverage is in the rows of its own partition only). Marks stay one row per (stream, minute, session): a
-- session's heartbeats are all on one partition.
ALTER TABLE viewer_minutes ADD COLUMN scope text NOT NULL DEFAULT '';
ALTER TABLE viewer_minutes DROP CONSTRAINT viewer_minutes_pkey;
ALTER TABLE viewer_minutes ADD PRIMARY KEY (stream_id, minute, scope);

-- Down Migration
-- Folds each minute's rows back into one: heartbeats and per-second concurrency summed, the peak recomputed.
CREATE TEMPORARY TABLE merged_minutes ON COMMIT DROP AS
  SELECT stream_id, minute, sum(heartbeats) AS heartbeats,
         (SELECT array_agg(c ORDER BY i) FROM (
            SELECT u.i, sum(u.c)::int AS c FROM viewer_minutes w, unnest(w.concurrency) WITH ORDINALITY AS u(c, i)
            WHERE w.stream_id = v.stream_id AND w.minute = v.minute GROUP BY u.i) AS s) AS concurrency
  FROM viewer_minutes v GROUP BY stream_id, minute HAVING count(*) > 1;
DELETE FROM viewer_minutes v USING merged_minutes m WHERE v.stream_id = m.stream_id AND v.minute = m.minute AND v.scope <> '';
UPDATE viewer_minutes v SET heartbeats = m.heartbeats, concurrency = m.concurrency,
       peak_concurrent = (SELECT coalesce(max(x), 0) FROM unnest(m.concurrency) AS x)
  FROM merged_minutes m WHERE v.stream_id = m.stream_id AND v.minute = m.minute;
INSERT INTO viewer_minutes (stream_id, minute, heartbeats, concurrency, peak_concurrent, scope)
  SELECT m.stream_id, m.minute, m.heartbeats, m.concurrency, (SELECT coalesce(max(x), 0) FROM unnest(m.concurrency) AS x), ''
  FROM merged_minutes m WHERE NOT EXISTS (SELECT 1 FROM viewer_minutes v WHERE v.stream_id = m.stream_id AND v.minute = m.minute);
UPDATE viewer_minutes SET scope = '' WHERE scope <> '';
ALTER TABLE viewer_minutes DROP CONSTRAINT viewer_minutes_pkey;
ALTER TABLE viewer_minutes ADD PRIMARY KEY (stream_id, minute);
ALTER TABLE viewer_minutes DROP COLUMN scope;
