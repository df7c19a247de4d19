import {
  admitWrites,
  advancePostgresFence,
  pruneSeqArchive,
  readPostgresFence,
  type PartitionFence,
  type SourcedWrite,
  type Verdict,
} from '@tally/idempotency';
import { assertSqlIdentifier } from '@tally/config';
import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import { ENDED, MINUTE_SECONDS, PLAYING, type MinuteMarks } from '../domain/coverage.js';
import type { Granularity, HistoryChange } from '../domain/history.js';
import type { HistoryBatchStore, HistoryPort, MarksRow } from '../record-history.js';
import { MarksCache } from './marks-cache.js';

export type { HistoryWrite, SetAsideWrites } from '../record-history.js';

export interface HistoryBucket {
  start: string;
  peakConcurrent: number;
  uniqueViewers: number;
  heartbeats: number;
}

/**
 * Per-minute history in the service's own Postgres schema. A minute has a row per partition that wrote it (a hot
 * stream's shards are on several partitions), summed when read: heartbeats add up exactly, the peak is the busiest
 * second of the summed per-second concurrency (exact: a session's coverage is in its own partition's row only), and
 * unique viewers stay an exact distinct count of the sessions' marks rows (no estimate). A batch is one transaction (inPartition) in which
 * the use case (record-history.ts) reads the partition's fence, admits the writes past it by (source, seq),
 * loads the marks of the sessions they touch, and writes the minutes, the sessions' marks, the per-second
 * concurrency and the touched minutes' peaks with set-based statements; then moves the fence.
 */
export class HistoryStore implements HistoryPort {
  private readonly cache = new MarksCache();

  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    readonly windowSeconds: number,
  ) {
    assertSqlIdentifier(schema);
  }

  /**
   * Runs `work` in one transaction for the partition of `fence`. The marks it read and wrote are cached once it
   * committed having moved the fence; a failure forgets the partition's cache.
   */
  async inPartition(fence: PartitionFence, work: (batch: HistoryBatchStore) => Promise<void>): Promise<void> {
    let batch: PostgresHistoryBatch | undefined;
    try {
      await inTransaction(this.pool, async (db) => {
        batch = new PostgresHistoryBatch(db, this.schema, fence, this.cache);
        await work(batch);
      });
    } catch (error) {
      this.cache.forget(fence.partition);
      throw error;
    }
    batch?.committed();
  }

  /** Forgets archived seq blocks of these partitions older than the retention (see @tally/idempotency). */
  async pruneSeqArchive(scopes: string[], olderThanMs: number): Promise<number> {
    return inTransaction(this.pool, (db) => pruneSeqArchive(db, this.schema, scopes, olderThanMs));
  }

  /** Buckets of [from, to) at the granularity; hour and day roll up the minute rows. */
  async history(streamId: string, fromMs: number, toMs: number, granularity: Granularity): Promise<HistoryBucket[]> {
    // a minute has a row per partition that wrote it (a hot stream's shards): heartbeats add up, and the peak is
    // the busiest second of the rows' summed concurrency, worked out only for minutes of more than one row
    const { rows } = await this.pool.query(
      `WITH rows AS (
         SELECT minute, heartbeats, peak_concurrent, concurrency, count(*) OVER (PARTITION BY minute) AS n
         FROM ${this.schema}.viewer_minutes
         WHERE stream_id = $1 AND minute >= to_timestamp($2 / 1000.0) AND minute < to_timestamp($3 / 1000.0)),
       seconds AS (
         SELECT r.minute, sum(u.c) AS c FROM rows r, unnest(r.concurrency) WITH ORDINALITY AS u(c, i)
         WHERE r.n > 1 GROUP BY r.minute, u.i),
       peaks AS (
         SELECT minute, max(peak_concurrent) AS peak FROM rows WHERE n = 1 GROUP BY minute
         UNION ALL SELECT minute, max(c) FROM seconds GROUP BY minute),
       minutes AS (
         SELECT date_trunc($4, r.minute, 'UTC') AS bucket, sum(r.heartbeats) AS heartbeats, max(p.peak) AS peak
         FROM (SELECT minute, sum(heartbeats) AS heartbeats FROM rows GROUP BY minute) r JOIN peaks p USING (minute)
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

/** The statements of one batch's transaction (see HistoryStore.inPartition), and what the cache learns from it. */
class PostgresHistoryBatch implements HistoryBatchStore {
  private appliedUpTo = -1;
  private cached: Map<string, MinuteMarks> | undefined;
  /** Marks read from the tables or written, in that order: the cache's, after the commit. */
  private readonly seen: MarksRow[] = [];
  /** The offset the fence moved to, once it did. */
  private movedTo: number | undefined;
  /**
   * Whose minute rows this batch adds to: its partition's own (a minute has a row per partition that wrote it,
   * so the batches of a hot stream's shards, side by side, never wait for or deadlock on each other's rows).
   */
  private readonly scope: string;

  constructor(
    private readonly db: PoolClient,
    private readonly schema: string,
    private readonly fence: PartitionFence,
    private readonly cache: MarksCache,
  ) {
    this.scope = `p${fence.partition}`;
  }

  async appliedThrough(): Promise<number> {
    this.appliedUpTo = await readPostgresFence(this.db, this.schema, this.fence);
    return this.appliedUpTo;
  }

  admitWrites(writes: SourcedWrite[]): Promise<Verdict[]> {
    return admitWrites(this.db, this.schema, writes);
  }

  async write(change: HistoryChange): Promise<void> {
    await this.addMinutes(change.minutes);
    await this.writeMarks(change.marks);
    this.seen.push(...change.marks);
  }

  async advanceFence(offset: number): Promise<void> {
    this.cachedMarks();
    await advancePostgresFence(this.db, this.schema, this.fence, offset);
    this.movedTo = offset;
  }

  /** After the commit: a batch that moved the fence leaves what it read and wrote in the cache. */
  committed(): void {
    if (this.movedTo !== undefined)
      this.cache.committed(this.fence.partition, this.movedTo, this.cachedMarks(), this.seen);
  }

  /** The partition's cached marks, valid while the fence read is the one this instance left behind. */
  private cachedMarks(): Map<string, MinuteMarks> {
    this.cached ??= this.cache.valid(this.fence.partition, this.appliedUpTo);
    return this.cached;
  }

  /** The marks of the keys: from the cache where it has them, else one primary-key probe per row. */
  async marks(keys: Omit<MarksRow, 'marks'>[]): Promise<MarksRow[]> {
    const cached = this.cachedMarks();
    const hits: MarksRow[] = [];
    const missing: Omit<MarksRow, 'marks'>[] = [];
    for (const k of keys) {
      const hit = this.cache.get(cached, k.streamId, k.sessionId, k.minuteMs);
      if (hit) hits.push({ ...k, marks: hit });
      else missing.push(k);
    }
    if (missing.length === 0) return hits;
    // a primary-key probe per (stream, minute, session) (OFFSET 0 keeps it one: as a join the planner hashes
    // the whole table once it is large); the 60-bit masks come as 30-bit halves, numbers JavaScript holds exactly
    const { rows } = await this.db.query(
      `SELECT t.s AS stream_id, t.id AS session_id, t.m AS minute_ms,
              (m.playing >> 30)::int AS ph, (m.playing & ${LOW_BITS})::int AS pl, (m.ended >> 30)::int AS eh, (m.ended & ${LOW_BITS})::int AS el
       FROM unnest($1::text[], $2::bigint[], $3::text[]) AS t(s, m, id)
       LEFT JOIN LATERAL (SELECT playing, ended FROM ${this.schema}.viewer_minute_sessions
                          WHERE stream_id = t.s AND minute = to_timestamp(t.m / 1000.0) AND session_id = t.id OFFSET 0) AS m ON true`,
      [missing.map((w) => w.streamId), missing.map((w) => w.minuteMs), missing.map((w) => w.sessionId)],
    );
    // a row that does not exist is remembered as empty marks: the cache then knows it too
    const read = rows.map((r) => ({
      streamId: r.stream_id as string,
      sessionId: r.session_id as string,
      minuteMs: Number(r.minute_ms),
      marks: marksOf(r.ph ?? 0, r.pl ?? 0, r.eh ?? 0, r.el ?? 0),
    }));
    this.seen.push(...read);
    return [...hits, ...read];
  }

  /**
   * Adds heartbeats and each second's change of concurrency to the minutes, and sets each touched minute's
   * peak to its busiest second (a peak can fall too: an "ended" heartbeat arriving late). Minutes whose
   * concurrency did not change (most, once sessions beat on: a beat mostly extends what the last one covered)
   * only add heartbeats: the array arithmetic costs about as much as the rest of the batch's statements.
   */
  private async addMinutes(minutes: HistoryChange['minutes']): Promise<void> {
    const covering: HistoryChange['minutes'] = [];
    const counting: HistoryChange['minutes'] = [];
    for (const m of minutes) (m.concurrency.some((d) => d !== 0) ? covering : counting).push(m);
    if (counting.length > 0) {
      await this.db.query(
        `INSERT INTO ${this.schema}.viewer_minutes AS v (stream_id, minute, scope, heartbeats)
         SELECT s, to_timestamp(m / 1000.0), $4, h FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(s, m, h)
         ON CONFLICT (stream_id, minute, scope) DO UPDATE SET heartbeats = v.heartbeats + EXCLUDED.heartbeats`,
        [
          counting.map((m) => m.streamId),
          counting.map((m) => m.minuteMs),
          counting.map((m) => m.heartbeats),
          this.scope,
        ],
      );
    }
    if (covering.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.viewer_minutes AS v (stream_id, minute, scope, heartbeats, concurrency, peak_concurrent)
       SELECT s, to_timestamp(m / 1000.0), $5, h, c::int[], (SELECT coalesce(max(x), 0) FROM unnest(c::int[]) AS x)
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS t(s, m, h, c)
       ON CONFLICT (stream_id, minute, scope) DO UPDATE
         SET heartbeats = v.heartbeats + EXCLUDED.heartbeats,
             concurrency = (SELECT array_agg(a + b ORDER BY i) FROM unnest(v.concurrency, EXCLUDED.concurrency) WITH ORDINALITY AS u(a, b, i)),
             peak_concurrent = (SELECT coalesce(max(a + b), 0) FROM unnest(v.concurrency, EXCLUDED.concurrency) AS u(a, b))`,
      [
        covering.map((m) => m.streamId),
        covering.map((m) => m.minuteMs),
        covering.map((m) => m.heartbeats),
        covering.map((m) => `{${m.concurrency.join(',')}}`),
        this.scope,
      ],
    );
  }

  private async writeMarks(marks: HistoryChange['marks']): Promise<void> {
    if (marks.length === 0) return;
    const halves = marks.map((m) => halvesOf(m.marks));
    // the values were computed from the rows read above, under the partition's fence lock: plain replacement
    await this.db.query(
      `INSERT INTO ${this.schema}.viewer_minute_sessions (stream_id, minute, session_id, playing, ended)
       SELECT s, to_timestamp(m / 1000.0), id, (ph::bigint << 30) | pl, (eh::bigint << 30) | el
       FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[]) AS t(s, m, id, ph, pl, eh, el)
       ON CONFLICT (stream_id, minute, session_id) DO UPDATE SET playing = EXCLUDED.playing, ended = EXCLUDED.ended`,
      [
        marks.map((m) => m.streamId),
        marks.map((m) => m.minuteMs),
        marks.map((m) => m.sessionId),
        halves.map((h) => h.ph),
        halves.map((h) => h.pl),
        halves.map((h) => h.eh),
        halves.map((h) => h.el),
      ],
    );
  }
}

/** Seconds 0-29 of a minute's mask are its low 30 bits, seconds 30-59 the high ones. */
const LOW_BITS = 0x3fffffff;

function marksOf(ph: number, pl: number, eh: number, el: number): MinuteMarks {
  const marks = new Uint8Array(MINUTE_SECONDS);
  for (let s = 0; s < MINUTE_SECONDS; s++) {
    const [p, e, bit] = s < 30 ? [pl, el, s] : [ph, eh, s - 30];
    marks[s] = ((p >>> bit) & 1 ? PLAYING : 0) | ((e >>> bit) & 1 ? ENDED : 0);
  }
  return marks;
}

function halvesOf(marks: MinuteMarks): { ph: number; pl: number; eh: number; el: number } {
  const h = { ph: 0, pl: 0, eh: 0, el: 0 };
  for (let s = 0; s < MINUTE_SECONDS; s++) {
    const bit = 1 << (s % 30);
    const low = s < 30;
    if (marks[s]! & PLAYING) {
      if (low) h.pl |= bit;
      else h.ph |= bit;
    }
    if (marks[s]! & ENDED) {
      if (low) h.el |= bit;
      else h.eh |= bit;
    }
  }
  return h;
}
