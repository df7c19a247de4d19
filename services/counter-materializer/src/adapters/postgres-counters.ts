import {
  admitWrites,
  advancePostgresFences,
  pruneSeqArchive,
  readPostgresFences,
  type SourcedWrite,
  type Verdict,
} from '@tally/idempotency';
import { assertSqlIdentifier } from '@tally/config';
import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import type { CounterFlushStore, CounterPort, ItemSnapshot, TopicPartition } from '../apply-item-events.js';
import type { CountsMaintenancePort } from '../materializer.js';
import {
  registerKey,
  type Decision,
  type ItemEventToApply,
  type LikeRegister,
  type Metric,
} from '../domain/counters.js';
import { windowStart } from '../domain/windows.js';

export type { ConsumedItemEvent, ItemSnapshot, PartitionEvents } from '../apply-item-events.js';

/**
 * The durable counts in Postgres, written as a few set-based statements per flush inside one transaction:
 * offset fences, (source, seq) windows, like registers, distinct viewers, counts, counters and per-minute
 * contributions. Only after it commits are the Kafka offsets committed, so everything not in Postgres is
 * still in the topic's uncommitted tail.
 */
export class CounterStore implements CounterPort, CountsMaintenancePort {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly group: string,
  ) {
    assertSqlIdentifier(schema);
  }

  /** Runs `work` (a flush) in one transaction; it commits when `work` returns. */
  inTransaction<T>(work: (flush: CounterFlushStore) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (db) => work(new PostgresCounterFlush(db, this.schema, this.group)));
  }

  /** Absolute snapshots of `itemIds` (for projecting to Redis after a flush, a rebuild, or as windows slide). */
  async snapshots(itemIds: string[], nowMs: number): Promise<ItemSnapshot[]> {
    // one snapshot for the several reads, so an item's counts and its counters come from the same moment
    return inTransaction(this.pool, (db) => snapshotsIn(db, this.schema, itemIds, nowMs), {
      isolation: 'REPEATABLE READ',
      readOnly: true,
    });
  }

  /** One page of a partition's items, in item order, for rebuilding Redis. */
  async itemsOfPartitions(partitions: number[], after: string, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query(
      `SELECT item_id FROM ${this.schema}.items WHERE partition = ANY($1::int[]) AND item_id > $2 ORDER BY item_id LIMIT $3`,
      [partitions, after, limit],
    );
    return rows.map((r) => r.item_id as string);
  }

  /** Items with contributions in minutes [fromMs, toMs): their windowed scores drop as those minutes leave. */
  async itemsWithMinutes(partitions: number[], fromMs: number, toMs: number): Promise<string[]> {
    const { rows } = await this.pool.query(
      `SELECT DISTINCT item_id FROM ${this.schema}.item_minutes WHERE minute >= $2 AND minute < $3 AND partition = ANY($1::int[])`,
      [partitions, fromMs, toMs],
    );
    return rows.map((r) => r.item_id as string);
  }

  /** Forgets archived seq blocks of these partitions older than the retention (see @tally/idempotency). */
  async pruneSeqArchive(partitions: number[], olderThanMs: number): Promise<number> {
    return inTransaction(this.pool, (db) =>
      pruneSeqArchive(
        db,
        this.schema,
        partitions.map((p) => `p${p}`),
        olderThanMs,
      ),
    );
  }

  /** Contributions older than every window are never read again. */
  async pruneMinutes(partitions: number[], beforeMs: number): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.schema}.item_minutes WHERE minute < $2 AND partition = ANY($1::int[])`, [
      partitions,
      beforeMs,
    ]);
  }
}

/** The statements of one flush's transaction (see CounterStore.inTransaction). */
class PostgresCounterFlush implements CounterFlushStore {
  constructor(
    private readonly db: PoolClient,
    private readonly schema: string,
    private readonly group: string,
  ) {}

  appliedThrough(partitions: TopicPartition[]): Promise<number[]> {
    return readPostgresFences(
      this.db,
      this.schema,
      partitions.map(({ topic, partition }) => ({ group: this.group, topic, partition })),
    );
  }

  advanceFences(advances: (TopicPartition & { offset: number })[]): Promise<void> {
    return advancePostgresFences(
      this.db,
      this.schema,
      advances.map(({ topic, partition, offset }) => ({ fence: { group: this.group, topic, partition }, offset })),
    );
  }

  admitWrites(writes: SourcedWrite[]): Promise<Verdict[]> {
    return admitWrites(this.db, this.schema, writes);
  }

  async write(decision: Decision, partitionOf: Map<string, number>): Promise<void> {
    await this.writeRegisters([...decision.registers.values()]);
    const newViewers = await this.insertViewers(decision.viewers);
    await this.addToItems(partitionOf, decision.deltas, newViewers);
    await this.addToCounters(decision.deltas);
    await this.addToMinutes(decision.minutes, partitionOf);
  }

  snapshots(itemIds: string[], nowMs: number): Promise<ItemSnapshot[]> {
    return snapshotsIn(this.db, this.schema, itemIds, nowMs);
  }

  async registers(events: ItemEventToApply[]): Promise<Map<string, LikeRegister>> {
    const likes = events.filter((e) => e.kind === 'LIKE' || e.kind === 'UNLIKE');
    if (likes.length === 0) return new Map();
    // a primary-key probe per like (OFFSET 0 keeps it one): as a join, a large table would be hashed whole
    const { rows } = await this.db.query(
      `SELECT l.item_id, l.user_id, l.liked, l.at_ms, l."offset" FROM unnest($1::text[], $2::text[]) AS t(i, u)
       CROSS JOIN LATERAL (SELECT * FROM ${this.schema}.item_likes WHERE item_id = t.i AND user_id = t.u OFFSET 0) AS l`,
      [likes.map((e) => e.itemId), likes.map((e) => e.userId)],
    );
    return new Map(
      rows.map((r) => [
        registerKey(r.item_id, r.user_id),
        // at_ms: the register's judged event time (the column predates the name)
        { liked: r.liked, eventTimeMs: Number(r.at_ms), offset: Number(r.offset) },
      ]),
    );
  }

  private async writeRegisters(registers: (LikeRegister & { itemId: string; userId: string })[]): Promise<void> {
    if (registers.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.item_likes (item_id, user_id, liked, at_ms, "offset")
       SELECT * FROM unnest($1::text[], $2::text[], $3::boolean[], $4::bigint[], $5::bigint[])
       ON CONFLICT (item_id, user_id) DO UPDATE SET liked = EXCLUDED.liked, at_ms = EXCLUDED.at_ms, "offset" = EXCLUDED."offset"`,
      [
        registers.map((r) => r.itemId),
        registers.map((r) => r.userId),
        registers.map((r) => r.liked),
        registers.map((r) => r.eventTimeMs),
        registers.map((r) => r.offset),
      ],
    );
  }

  /** Inserts the (item, viewer) pairs not seen before; returns how many were new per item. */
  private async insertViewers(viewers: { itemId: string; viewerId: string }[]): Promise<Map<string, number>> {
    const fresh = new Map<string, number>();
    if (viewers.length === 0) return fresh;
    const { rows } = await this.db.query(
      `INSERT INTO ${this.schema}.item_viewers (item_id, viewer_id) SELECT DISTINCT * FROM unnest($1::text[], $2::text[])
       ON CONFLICT DO NOTHING RETURNING item_id`,
      [viewers.map((v) => v.itemId), viewers.map((v) => v.viewerId)],
    );
    for (const r of rows) fresh.set(r.item_id, (fresh.get(r.item_id) ?? 0) + 1);
    return fresh;
  }

  private async addToItems(
    partitionOf: Map<string, number>,
    deltas: Decision['deltas'],
    newViewers: Map<string, number>,
  ) {
    const ids = [...partitionOf.keys()].sort();
    await this.db.query(
      `INSERT INTO ${this.schema}.items (item_id, partition, likes, views, unique_viewers, version)
       SELECT i, p, l, v, u, 1 FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[]) AS t(i, p, l, v, u)
       ON CONFLICT (item_id) DO UPDATE SET partition = EXCLUDED.partition, likes = items.likes + EXCLUDED.likes,
         views = items.views + EXCLUDED.views, unique_viewers = items.unique_viewers + EXCLUDED.unique_viewers,
         version = items.version + 1, updated_at = now()`,
      [
        ids,
        ids.map((i) => partitionOf.get(i)),
        ids.map((i) => deltas.get(i)?.likes ?? 0),
        ids.map((i) => deltas.get(i)?.views ?? 0),
        ids.map((i) => newViewers.get(i) ?? 0),
      ],
    );
  }

  private async addToCounters(deltas: Decision['deltas']) {
    const rows = [...deltas].flatMap(([itemId, d]) => [...d.counters].map(([name, by]) => [itemId, name, by] as const));
    if (rows.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.item_counters (item_id, name, value) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
       ON CONFLICT (item_id, name) DO UPDATE SET value = item_counters.value + EXCLUDED.value`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  }

  private async addToMinutes(minutes: Decision['minutes'], partitionOf: Map<string, number>) {
    if (minutes.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.item_minutes (item_id, metric, minute, value, partition)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::int[])
       ON CONFLICT (item_id, metric, minute) DO UPDATE SET value = item_minutes.value + EXCLUDED.value`,
      [
        minutes.map((m) => m.itemId),
        minutes.map((m) => m.metric),
        minutes.map((m) => m.minuteMs),
        minutes.map((m) => m.delta),
        minutes.map((m) => partitionOf.get(m.itemId)),
      ],
    );
  }
}

/** The items' snapshots as `db` sees them (inside its transaction). */
async function snapshotsIn(db: PoolClient, schema: string, itemIds: string[], nowMs: number): Promise<ItemSnapshot[]> {
  if (itemIds.length === 0) return [];
  // one connection runs one query at a time: ask in turn
  const items = await db.query(
    `SELECT item_id, partition, version, likes, views, unique_viewers FROM ${schema}.items WHERE item_id = ANY($1::text[])`,
    [itemIds],
  );
  const counters = await db.query(
    `SELECT item_id, name, value FROM ${schema}.item_counters WHERE item_id = ANY($1::text[])`,
    [itemIds],
  );
  const windowed = await db.query(
    `SELECT item_id, metric, coalesce(sum(value) FILTER (WHERE minute >= $2), 0) AS h1, sum(value) AS h24
       FROM ${schema}.item_minutes WHERE item_id = ANY($1::text[]) AND minute >= $3 GROUP BY item_id, metric`,
    [itemIds, windowStart('1h', nowMs), windowStart('24h', nowMs)],
  );
  const byId = new Map<string, ItemSnapshot>();
  for (const r of items.rows) {
    byId.set(r.item_id, {
      itemId: r.item_id,
      partition: r.partition,
      version: Number(r.version),
      likes: Number(r.likes),
      views: Number(r.views),
      uniqueViewers: Number(r.unique_viewers),
      counters: {},
      windowed: new Map(),
    });
  }
  for (const r of counters.rows) byId.get(r.item_id)!.counters[r.name] = Number(r.value);
  for (const r of windowed.rows)
    byId.get(r.item_id)?.windowed.set(r.metric as Metric, { '1h': Number(r.h1), '24h': Number(r.h24) });
  return [...byId.values()];
}
