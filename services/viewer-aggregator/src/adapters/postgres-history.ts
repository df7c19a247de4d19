import { admitWrites, advancePostgresFence, readPostgresFence, type PartitionFence, type SourcedWrite } from '@tally/idempotency';
import { inTransaction, type Pool } from '@tally/storage';
import type { Granularity, MinuteBucket } from '../domain/history.js';

/** Seqs a source may arrive out of order by and still be told apart: 1024 heartbeats, 85 minutes at one per 5 s. */
const SEQ_WINDOW_SIZE = 1024;

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

  /**
   * Writes the history of one batch. Records at or below the partition's fence are already in the tables;
   * of the rest, only writes whose (source, seq) was never applied reach `fold` — a client's retry is a second
   * record of the same write and counts once.
   */
  async record<W extends SourcedWrite & { offset: number }>(fence: PartitionFence, lastOffset: number, writes: W[], fold: (fresh: W[]) => MinuteBucket[]): Promise<void> {
    await inTransaction(this.pool, async (db) => {
      const appliedUpTo = await readPostgresFence(db, this.schema, fence);
      if (lastOffset <= appliedUpTo) return;
      const pending = writes.filter((w) => w.offset > appliedUpTo);
      const verdicts = await admitWrites(db, this.schema, pending, SEQ_WINDOW_SIZE);
      const buckets = fold(pending.filter((_, i) => verdicts[i] === 'new'));
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
