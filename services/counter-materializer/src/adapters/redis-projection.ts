import { fileURLToPath } from 'node:url';
import { PartitionReadiness, defineScripts, script, type Redis, type ScriptRunner } from '@tally/storage';
import type { Metric } from '../domain/counters.js';
import { sortedSetScore, valueOfSortedSetScore, type Ranked } from '../domain/rankings.js';
import { RANKING_WINDOWS, type RankingWindow } from '../domain/windows.js';
import type { ItemCounts } from './postgres-reads.js';
import type { ItemSnapshot } from '../apply-item-events.js';
import type { CountsProjectionPort } from '../materializer.js';

/**
 * The read model in Redis, written only from Postgres snapshots (absolute values, never increments), so writing
 * it twice is harmless and a lost Redis is rebuilt from Postgres. Keys:
 *   <prefix>:{item:<itemId>}              hash: likes, views, uniqueViewers, c:<counter>, version, asOf
 *   <prefix>:{rank:<metric>:<window>}     sorted set of items by negated score (ties by itemId ascending)
 *   <prefix>:{ready}:p<partition>         set once the partition's items are all in Redis
 * A count read is one HGETALL (O(1) in items); a ranking read one ZRANGE (O(log n + N)).
 */
export class CountsProjection implements CountsProjectionPort {
  private readonly readiness: PartitionReadiness;
  private readonly projectItem: ScriptRunner;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.readiness = new PartitionReadiness(redis, prefix);
    defineScripts(redis, {
      projectItem: { file: fileURLToPath(new URL('./lua/project-item.lua', import.meta.url)), keys: 1 },
    });
    this.projectItem = script(redis, 'projectItem');
  }

  private itemKey = (itemId: string) => `${this.prefix}:{item:${itemId}}`;
  private rankingKey = (metric: Metric, window: RankingWindow) => `${this.prefix}:{rank:${metric}:${window}}`;
  async project(snapshots: ItemSnapshot[], asOfMs: number): Promise<void> {
    const written = await Promise.all(
      snapshots.map((s) => this.projectItem(this.itemKey(s.itemId), s.version, asOfMs, ...hashFields(s))),
    );
    // one command per ranking, not a pipeline: the rankings live in other slots (other nodes of a Redis Cluster),
    // and auto-pipelining batches them per connection the same way
    const rankings: Promise<unknown>[] = [];
    snapshots.forEach((s, i) => {
      if (Number(written[i]) !== 1) return;
      for (const [metric, window, value] of rankingValues(s)) {
        const key = this.rankingKey(metric, window);
        rankings.push(
          value > 0 ? this.redis.zadd(key, sortedSetScore(value), s.itemId) : this.redis.zrem(key, s.itemId),
        );
      }
    });
    await Promise.all(rankings);
  }

  /** The item's counts, or undefined when Redis does not hold the item (never seen, or Redis was wiped). */
  async counts(itemId: string): Promise<(ItemCounts & { asOf: number }) | undefined> {
    const hash = await this.redis.hgetall(this.itemKey(itemId));
    if (!hash.version) return undefined;
    const counters: Record<string, number> = {};
    for (const [field, value] of Object.entries(hash))
      if (field.startsWith('c:')) counters[field.slice(2)] = Number(value);
    return {
      likes: Number(hash.likes),
      views: Number(hash.views),
      uniqueViewers: Number(hash.uniqueViewers),
      counters,
      asOf: Number(hash.asOf),
    };
  }

  async ranking(metric: Metric, window: RankingWindow, limit: number): Promise<Ranked[]> {
    const flat = await this.redis.zrange(this.rankingKey(metric, window), 0, limit - 1, 'WITHSCORES');
    const ranked: Ranked[] = [];
    for (let i = 0; i < flat.length; i += 2)
      ranked.push({ itemId: flat[i]!, score: valueOfSortedSetScore(Number(flat[i + 1])), rank: i / 2 + 1 });
    return ranked;
  }

  /** Partitions whose state is not all in Redis (after a wipe, before their owner rebuilt them). */
  partitionsNotReady(partitions: number[]): Promise<number[]> {
    return this.readiness.notReady(partitions);
  }

  markReady(partition: number): Promise<void> {
    return this.readiness.markReady(partition);
  }
}

function hashFields(s: ItemSnapshot): (string | number)[] {
  const fields: (string | number)[] = ['likes', s.likes, 'views', s.views, 'uniqueViewers', s.uniqueViewers];
  for (const [name, value] of Object.entries(s.counters)) fields.push(`c:${name}`, value);
  return fields;
}

/** Every (metric, window) ranking the item belongs in, with its value there (0 = not ranked). */
function rankingValues(s: ItemSnapshot): [Metric, RankingWindow, number][] {
  const allTime = new Map<Metric, number>([
    ['likes', s.likes],
    ['views', s.views],
    ...Object.entries(s.counters).map(([name, value]) => [`counter:${name}`, value] as [Metric, number]),
  ]);
  const values: [Metric, RankingWindow, number][] = [];
  for (const [metric, total] of allTime) {
    for (const window of RANKING_WINDOWS)
      values.push([metric, window, window === 'all' ? total : (s.windowed.get(metric)?.[window] ?? 0)]);
  }
  return values;
}
