import { admitWrites, advancePostgresFence, pruneSeqArchive, readPostgresFence, type PartitionFence, type SourcedWrite } from '@tally/idempotency';
import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import { foldHistory, marksToLoad, sessionKey, type Granularity, type HeartbeatForHistory } from '../domain/history.js';
import type { SessionMarks } from '../domain/coverage.js';

export interface HistoryBucket {
  start: string;
  peakConcurrent: number;
  uniqueViewers: number;
  heartbeats: number;
}

/**
 * A heartbeat as the history store takes it: the domain's view, its position and write key, and whether it
 * came too late for its minute (then it is only remembered as applied, and reported).
 */
export type HistoryWrite = HeartbeatForHistory & SourcedWrite & { offset: number; late: boolean };

/** Reports, before the commit, new writes too late for history and writes older than the seq archive. */
export type SetAsideWrites = (late: HistoryWrite[], forgotten: HistoryWrite[]) => Promise<void>;

/**
 * Per-minute history in the service's own Postgres schema. A batch is one transaction: read the partition's
 * fence, admit the writes past it by (source, seq), load the marks of the sessions they touch, and write the
 * minutes, the sessions' marks, the per-second concurrency and the touched minutes' peaks with set-based
 * statements; then move the fence.
 */
export class HistoryStore {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly windowSeconds: number,
  ) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`DB_SCHEMA must be a lower-case SQL identifier (got ${JSON.stringify(schema)})`);
  }

  /**
   * Writes the history of one batch. Records at or below the partition's fence are already in the tables; of
   * the rest, only writes whose (source, seq) was never applied count — a client's retry is a second record of
   * the same write and counts once (and a late write is reported once). What is set aside is reported inside
   * the transaction: a crash before the commit redelivers it and it is reported again, never lost.
   */
  async record(fence: PartitionFence, lastOffset: number, writes: HistoryWrite[], setAside: SetAsideWrites): Promise<void> {
    await inTransaction(this.pool, async (db) => {
      const appliedUpTo = await readPostgresFence(db, this.schema, fence);
      if (lastOffset <= appliedUpTo) return;
      const pending = writes.filter((w) => w.offset > appliedUpTo);
      const verdicts = await admitWrites(db, this.schema, pending);
      const admitted = pending.filter((_, i) => verdicts[i] === 'new');
      await setAside(admitted.filter((w) => w.late), pending.filter((_, i) => verdicts[i] === 'forgotten'));
      const fresh = admitted.filter((w) => !w.late);
      if (fresh.length > 0) {
        const change = foldHistory(fresh, await this.marks(db, fresh), this.windowSeconds);
        await this.addMinutes(db, change.minutes);
        await this.writeMarks(db, change.marks);
        await this.addSeconds(db, change.seconds);
      }
      await advancePostgresFence(db, this.schema, fence, lastOffset);
    });
  }

  private async marks(db: PoolClient, beats: HeartbeatForHistory[]): Promise<Map<string, SessionMarks>> {
    const wanted = marksToLoad(beats, this.windowSeconds);
    // a primary-key probe per (stream, minute, session) (OFFSET 0 keeps it one: as a join the planner hashes
    // the whole table once it is large)
    const { rows } = await db.query(
      `SELECT m.stream_id, m.session_id, extract(epoch FROM m.minute)::bigint AS minute, m.playing, m.ended
       FROM unnest($1::text[], $2::bigint[], $3::text[]) AS t(s, m, id)
       CROSS JOIN LATERAL (SELECT * FROM ${this.schema}.viewer_minute_sessions
                           WHERE stream_id = t.s AND minute = to_timestamp(t.m / 1000.0) AND session_id = t.id OFFSET 0) AS m`,
      [wanted.map((w) => w.streamId), wanted.map((w) => w.minuteMs), wanted.map((w) => w.sessionId)],
    );
    const loaded = new Map<string, SessionMarks>();
    for (const r of rows) {
      const key = sessionKey(r.stream_id as string, r.session_id as string);
      if (!loaded.has(key)) loaded.set(key, new Map());
      loaded.get(key)!.set(Number(r.minute), { playing: BigInt(r.playing as string), ended: BigInt(r.ended as string) });
    }
    return loaded;
  }

  private async addMinutes(db: PoolClient, minutes: { streamId: string; minuteMs: number; heartbeats: number }[]): Promise<void> {
    if (minutes.length === 0) return;
    await db.query(
      `INSERT INTO ${this.schema}.viewer_minutes (stream_id, minute, heartbeats)
       SELECT s, to_timestamp(m / 1000.0), h FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(s, m, h)
       ON CONFLICT (stream_id, minute) DO UPDATE SET heartbeats = viewer_minutes.heartbeats + EXCLUDED.heartbeats`,
      [minutes.map((m) => m.streamId), minutes.map((m) => m.minuteMs), minutes.map((m) => m.heartbeats)],
    );
  }

  private async writeMarks(db: PoolClient, marks: { streamId: string; minuteMs: number; sessionId: string; playing: bigint; ended: bigint }[]): Promise<void> {
    if (marks.length === 0) return;
    // the values were computed from the rows read above, under the partition's fence lock: plain replacement
    await db.query(
      `INSERT INTO ${this.schema}.viewer_minute_sessions (stream_id, minute, session_id, playing, ended)
       SELECT s, to_timestamp(m / 1000.0), id, p, e FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[]) AS t(s, m, id, p, e)
       ON CONFLICT (stream_id, minute, session_id) DO UPDATE SET playing = EXCLUDED.playing, ended = EXCLUDED.ended`,
      [marks.map((m) => m.streamId), marks.map((m) => m.minuteMs), marks.map((m) => m.sessionId), marks.map((m) => m.playing.toString()), marks.map((m) => m.ended.toString())],
    );
  }

  /** Adds the concurrency changes per second, then sets each touched minute's peak to its busiest second. */
  private async addSeconds(db: PoolClient, seconds: { streamId: string; secondMs: number; delta: number }[]): Promise<void> {
    if (seconds.length === 0) return;
    await db.query(
      `INSERT INTO ${this.schema}.viewer_seconds (stream_id, second, concurrent)
       SELECT s, to_timestamp(m / 1000.0), d FROM unnest($1::text[], $2::bigint[], $3::int[]) AS t(s, m, d)
       ON CONFLICT (stream_id, second) DO UPDATE SET concurrent = viewer_seconds.concurrent + EXCLUDED.concurrent`,
      [seconds.map((s) => s.streamId), seconds.map((s) => s.secondMs), seconds.map((s) => s.delta)],
    );
    // a peak can fall too (an "ended" heartbeat arriving late): recomputed from the minute's 60 rows
    await db.query(
      `UPDATE ${this.schema}.viewer_minutes v SET peak_concurrent = p.peak
       FROM (SELECT t.s, t.m, coalesce(max(c.concurrent), 0) AS peak
             FROM (SELECT DISTINCT s, date_trunc('minute', to_timestamp(m / 1000.0)) AS m FROM unnest($1::text[], $2::bigint[]) AS u(s, m)) AS t
             LEFT JOIN ${this.schema}.viewer_seconds c ON c.stream_id = t.s AND c.second >= t.m AND c.second < t.m + interval '1 minute'
             GROUP BY t.s, t.m) AS p
       WHERE v.stream_id = p.s AND v.minute = p.m`,
      [seconds.map((s) => s.streamId), seconds.map((s) => s.secondMs)],
    );
  }

  /** Forgets archived seq blocks of these partitions older than the retention (see @tally/idempotency). */
  async pruneSeqArchive(scopes: string[], olderThanMs: number): Promise<number> {
    return inTransaction(this.pool, (db) => pruneSeqArchive(db, this.schema, scopes, olderThanMs));
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
