import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import type { GlobalResult, PollDefinition, RegionalTally } from '@tally/schemas';
import { newestPerPoll } from '../domain/poll-definitions.js';
import {
  fingerprint,
  isNewerSnapshot,
  nextResultVersion,
  rankWorld,
  type PollRules,
  type RegionSnapshot,
} from '../domain/world-ranking.js';
import { lockPolls } from './poll-locks.js';

/**
 * The merger's state in Postgres: definitions, each region's newest snapshot, and the result. Every batch is
 * one transaction under the locks of its polls: store what is newer, recompute the touched polls, and give a
 * result a new version only when it changed.
 */
export class MergerStore {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Keeps the newest definition of each poll; returns the current result of every poll defined. */
  async applyDefinitions(definitions: PollDefinition[]): Promise<GlobalResult[]> {
    const newest = newestPerPoll(definitions);
    return this.recomputing(
      newest.map((d) => d.pollId),
      async (db) => {
        await db.query(
          `INSERT INTO ${this.schema}.polls (poll_id, options, region_weights, defined_at_ms, definition_seq, definition_id)
         SELECT p, ARRAY(SELECT jsonb_array_elements_text(o)), w, d, s, i FROM unnest($1::text[], $2::jsonb[], $3::jsonb[], $4::bigint[], $5::bigint[], $6::text[]) AS x(p, o, w, d, s, i)
         ON CONFLICT (poll_id) DO UPDATE SET options = EXCLUDED.options, region_weights = EXCLUDED.region_weights, defined_at_ms = EXCLUDED.defined_at_ms,
           definition_seq = EXCLUDED.definition_seq, definition_id = EXCLUDED.definition_id
         WHERE (polls.defined_at_ms, polls.definition_seq) < (EXCLUDED.defined_at_ms, EXCLUDED.definition_seq)`,
          [
            newest.map((d) => d.pollId),
            newest.map((d) => JSON.stringify(d.options)),
            newest.map((d) => JSON.stringify(d.regionWeights)),
            newest.map((d) => d.definedAtMs),
            newest.map((d) => d.seq),
            newest.map((d) => `${d.source}:${d.seq}`),
          ],
        );
      },
    );
  }

  /** Keeps each region's newest snapshot (a stale or repeated one changes nothing); returns the touched polls' results. */
  async applySnapshots(snapshots: RegionalTally[]): Promise<GlobalResult[]> {
    const newest = new Map<string, RegionalTally>();
    for (const s of snapshots) {
      const key = `${s.pollId}\u0000${s.region}`;
      if (isNewerSnapshot(s, newest.get(key))) newest.set(key, s);
    }
    const kept = [...newest.values()];
    return this.recomputing(
      kept.map((s) => s.pollId),
      async (db) => {
        await db.query(
          `INSERT INTO ${this.schema}.snapshots (poll_id, region, version, counts, taken_at_ms) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[], $5::bigint[])
         ON CONFLICT (poll_id, region) DO UPDATE SET version = EXCLUDED.version, counts = EXCLUDED.counts, taken_at_ms = EXCLUDED.taken_at_ms
         WHERE snapshots.version < EXCLUDED.version`,
          [
            kept.map((s) => s.pollId),
            kept.map((s) => s.region),
            kept.map((s) => s.version),
            kept.map((s) => JSON.stringify(s.counts)),
            kept.map((s) => s.takenAtMs),
          ],
        );
      },
    );
  }

  async result(pollId: string): Promise<GlobalResult | undefined> {
    const { rows } = await this.pool.query(`SELECT result FROM ${this.schema}.results WHERE poll_id = $1`, [pollId]);
    return rows[0]?.result as GlobalResult | undefined;
  }

  /** Runs `change` and recomputes `pollIds` in one transaction under their locks; returns their current results. */
  private async recomputing(pollIds: string[], change: (db: PoolClient) => Promise<void>): Promise<GlobalResult[]> {
    if (pollIds.length === 0) return [];
    return inTransaction(this.pool, async (db) => {
      await lockPolls(db, this.schema, pollIds);
      await change(db);
      return this.recompute(db, [...new Set(pollIds)]);
    });
  }

  private async recompute(db: PoolClient, pollIds: string[]): Promise<GlobalResult[]> {
    const polls = await this.rules(db, pollIds);
    const snapshots = await this.snapshots(db, pollIds);
    const stored = await this.stored(db, pollIds);
    const results: GlobalResult[] = [];
    const changed: { result: GlobalResult; fingerprint: string }[] = [];
    for (const [pollId, rules] of polls) {
      const world = rankWorld(rules, snapshots.get(pollId) ?? new Map());
      const print = fingerprint(world);
      const before = stored.get(pollId);
      if (before && before.fingerprint === print) {
        results.push(before.result);
        continue;
      }
      const computedAtMs = this.now();
      const result: GlobalResult = {
        pollId,
        version: nextResultVersion(before?.result.version, computedAtMs),
        ...world,
        computedAtMs,
      };
      changed.push({ result, fingerprint: print });
      results.push(result);
    }
    if (changed.length > 0) {
      await db.query(
        `INSERT INTO ${this.schema}.results (poll_id, version, fingerprint, result, computed_at_ms) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::jsonb[], $5::bigint[])
         ON CONFLICT (poll_id) DO UPDATE SET version = EXCLUDED.version, fingerprint = EXCLUDED.fingerprint, result = EXCLUDED.result, computed_at_ms = EXCLUDED.computed_at_ms`,
        [
          changed.map((c) => c.result.pollId),
          changed.map((c) => c.result.version),
          changed.map((c) => c.fingerprint),
          changed.map((c) => JSON.stringify(c.result)),
          changed.map((c) => c.result.computedAtMs),
        ],
      );
    }
    return results;
  }

  private async rules(db: PoolClient, pollIds: string[]): Promise<Map<string, PollRules>> {
    const { rows } = await db.query(
      `SELECT poll_id, options, region_weights FROM ${this.schema}.polls WHERE poll_id = ANY($1)`,
      [pollIds],
    );
    return new Map(
      rows.map((r) => [
        r.poll_id as string,
        { options: r.options as string[], regionWeights: r.region_weights as Record<string, number> },
      ]),
    );
  }

  private async snapshots(db: PoolClient, pollIds: string[]): Promise<Map<string, Map<string, RegionSnapshot>>> {
    const { rows } = await db.query(
      `SELECT poll_id, region, version, counts, taken_at_ms FROM ${this.schema}.snapshots WHERE poll_id = ANY($1)`,
      [pollIds],
    );
    const byPoll = new Map<string, Map<string, RegionSnapshot>>();
    for (const r of rows) {
      const regions = byPoll.get(r.poll_id) ?? new Map<string, RegionSnapshot>();
      regions.set(r.region, { version: r.version, counts: r.counts, takenAtMs: r.taken_at_ms });
      byPoll.set(r.poll_id, regions);
    }
    return byPoll;
  }

  private async stored(
    db: PoolClient,
    pollIds: string[],
  ): Promise<Map<string, { fingerprint: string; result: GlobalResult }>> {
    const { rows } = await db.query(
      `SELECT poll_id, fingerprint, result FROM ${this.schema}.results WHERE poll_id = ANY($1)`,
      [pollIds],
    );
    return new Map(
      rows.map((r) => [
        r.poll_id as string,
        { fingerprint: r.fingerprint as string, result: r.result as GlobalResult },
      ]),
    );
  }
}
