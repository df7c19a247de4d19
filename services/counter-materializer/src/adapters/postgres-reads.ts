import type { Pool } from '@tally/storage';
import { rankScores, type Ranked } from '../domain/rankings.js';
import { windowStart, type RankingWindow } from '../domain/windows.js';
import type { Metric } from '../domain/counters.js';

export interface ItemCounts {
  likes: number;
  views: number;
  uniqueViewers: number;
  counters: Record<string, number>;
}

/**
 * Reads answered from Postgres while Redis does not hold them (after a wipe, until the partition's owner has
 * rebuilt it). Counts are one primary-key lookup; all-time rankings walk an index; windowed rankings sum the
 * minute rows of the window, the one read that scans, and only during a rebuild.
 */
export class PostgresReads {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async counts(itemId: string): Promise<ItemCounts> {
    const [item, counters] = await Promise.all([
      this.pool.query(`SELECT likes, views, unique_viewers FROM ${this.schema}.items WHERE item_id = $1`, [itemId]),
      this.pool.query(`SELECT name, value FROM ${this.schema}.item_counters WHERE item_id = $1`, [itemId]),
    ]);
    const row = item.rows[0];
    return {
      likes: Number(row?.likes ?? 0),
      views: Number(row?.views ?? 0),
      uniqueViewers: Number(row?.unique_viewers ?? 0),
      counters: Object.fromEntries(counters.rows.map((r) => [r.name, Number(r.value)])),
    };
  }

  async ranking(metric: Metric, window: RankingWindow, limit: number, nowMs: number): Promise<Ranked[]> {
    if (window !== 'all') {
      const { rows } = await this.pool.query(
        `SELECT item_id, sum(value) AS score FROM ${this.schema}.item_minutes WHERE metric = $1 AND minute >= $2 GROUP BY item_id`,
        [metric, windowStart(window, nowMs)],
      );
      return rankScores(
        rows.map((r) => [r.item_id as string, Number(r.score)]),
        limit,
      );
    }
    const { rows } =
      metric === 'likes' || metric === 'views'
        ? await this.pool.query(
            `SELECT item_id, ${metric} AS score FROM ${this.schema}.items WHERE ${metric} > 0 ORDER BY ${metric} DESC, item_id COLLATE "C" LIMIT $1`,
            [limit],
          )
        : await this.pool.query(
            `SELECT item_id, value AS score FROM ${this.schema}.item_counters WHERE name = $1 AND value > 0 ORDER BY value DESC, item_id COLLATE "C" LIMIT $2`,
            [metric.slice('counter:'.length), limit],
          );
    return rankScores(
      rows.map((r) => [r.item_id as string, Number(r.score)]),
      limit,
    );
  }
}
