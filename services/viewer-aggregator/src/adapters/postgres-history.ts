import { advancePostgresFence, readPostgresFence, type PartitionFence } from '@tally/idempotency';
import { inTransaction, type Pool } from '@tally/storage';
import type { Granularity, MinuteBucket } from '../domain/history.js';

export interface HistoryBucket {
  start: string;
  peakConcurrent: number;
  uniqueViewers: number;
  heartbeats: number;
}

/**
 * Per-minute history in the service's own Postgres schema. A batch is one transaction: read the partition's
 * fence, write the buckets of the records past it with two set-based statements, move the fence.
 */
export class HistoryStore {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`DB_SCHEMA must be a lower-case SQL identifier (got ${JSON.stringify(schema)})`);
  }

  /** Records at or below the fence are already in the tables; `fold` builds the buckets of the rest. */
  async record(fence: PartitionFence, lastOffset: number, fold: (appliedUpTo: number) => MinuteBucket[]): Promise<void> {
    await inTransaction(this.pool, async (db) => {
      const appliedUpTo = await readPostgresFence(db, this.schema, fence);
      if (lastOffset <= appliedUpTo) return;
      const buckets = fold(appliedUpTo);
      if (buckets.length > 0) {
        await db.query(
          `INSERT INTO ${this.schema}.viewer_minutes (stream_id, minute, heartbeats, peak_concurrent)
           SELECT s, to_timestamp(m / 1000.0), h, p FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::int[]) AS t(s, m, h, p)
           ON CONFLICT (stream_id, minute) DO UPDATE
             SET heartbeats = viewer_minutes.heartbeats + EXCLUDED.heartbeats,
                 peak_concurrent = GREATEST(viewer_minutes.peak_concurrent, EXCLUDED.peak_concurrent)`,
          [buckets.map((b) => b.streamId), buckets.map((b) => b.minuteMs), buckets.map((b) => b.heartbeats), buckets.map((b) => b.peakConcurrent)],
        );
        const sessions = buckets.flatMap((b) => [...b.sessions].map((s) => [b.streamId, b.minuteMs, s] as const));
        await db.query(
          `INSERT INTO ${this.schema}.viewer_minute_sessions (stream_id, minute, session_id)
           SELECT s, to_timestamp(m / 1000.0), id FROM unnest($1::text[], $2::bigint[], $3::text[]) AS t(s, m, id)
           ON CONFLICT DO NOTHING`,
          [sessions.map((r) => r[0]), sessions.map((r) => r[1]), sessions.map((r) => r[2])],
        );
      }
      await advancePostgresFence(db, this.schema, fence, lastOffset);
    });
  }

  /** Buckets of [from, to) at the granularity; hour and day roll up the minute rows. */
  async history(streamId: string, fromMs: number, toMs: number, granularity: Granularity): Promise<HistoryBucket[]> {
    const { rows } = await this.pool.query(
      `WITH minutes AS (
         SELECT date_trunc($4, minute, 'UTC') AS bucket, sum(heartbeats) AS heartbeats, max(peak_concurrent) AS peak
         FROM ${this.schema}.viewer_minutes
         WHERE stream_id = $1 AND minute >= to_timestamp($2 / 1000.0) AND minute < to_timestamp($3 / 1000.0)
         GROUP BY 1),
       uniques AS (
         SELECT date_trunc($4, minute, 'UTC') AS bucket, count(DISTINCT session_id) AS unique_viewers
         FROM ${this.schema}.viewer_minute_sessions
         WHERE stream_id = $1 AND minute >= to_timestamp($2 / 1000.0) AND minute < to_timestamp($3 / 1000.0)
         GROUP BY 1)
       SELECT m.bucket, m.heartbeats, m.peak, coalesce(u.unique_viewers, 0) AS unique_viewers
       FROM minutes m LEFT JOIN uniques u USING (bucket) ORDER BY m.bucket`,
      [streamId, fromMs, toMs, granularity],
    );
    return rows.map((r) => ({
      start: (r.bucket as Date).toISOString(),
      peakConcurrent: Number(r.peak),
      uniqueViewers: Number(r.unique_viewers),
      heartbeats: Number(r.heartbeats),
    }));
  }
}
