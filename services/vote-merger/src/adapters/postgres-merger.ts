import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import type { GlobalResult, RegionalTally } from '@tally/schemas';
import type { KeptResult, PollRules, RegionSnapshot } from '../domain/world-ranking.js';
import type { MergerDefinition, MergerPort, MergerTransaction } from '../merge-results.js';
import { lockPolls } from './poll-locks.js';

/**
 * The merger's state in Postgres: definitions, each region's newest snapshot, and the result. Every batch is
 * one transaction under the locks of its polls (inPolls): the use case (merge-results.ts) stores what is newer,
 * recomputes the touched polls, and gives a result a new version only when it changed.
 */
export class MergerStore implements MergerPort {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    readonly now: () => number = Date.now,
  ) {}

  inPolls<T>(pollIds: string[], work: (tx: MergerTransaction) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (db) => {
      await lockPolls(db, this.schema, pollIds);
      return work(new PostgresMergerTransaction(db, this.schema));
    });
  }

  async result(pollId: string): Promise<GlobalResult | undefined> {
    const { rows } = await this.pool.query(`SELECT result FROM ${this.schema}.results WHERE poll_id = $1`, [pollId]);
    return rows[0]?.result as GlobalResult | undefined;
  }
}

/** The statements of one transaction of the merger (see MergerStore.inPolls). */
class PostgresMergerTransaction implements MergerTransaction {
  constructor(
    private readonly db: PoolClient,
    private readonly schema: string,
  ) {}

  async keepDefinitions(definitions: MergerDefinition[]): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.schema}.polls (poll_id, options, region_weights, defined_at_ms, definition_seq, definition_id)
         SELECT p, ARRAY(SELECT jsonb_array_elements_text(o)), w, d, s, i FROM unnest($1::text[], $2::jsonb[], $3::jsonb[], $4::bigint[], $5::bigint[], $6::text[]) AS x(p, o, w, d, s, i)
         ON CONFLICT (poll_id) DO UPDATE SET options = EXCLUDED.options, region_weights = EXCLUDED.region_weights, defined_at_ms = EXCLUDED.defined_at_ms,
           definition_seq = EXCLUDED.definition_seq, definition_id = EXCLUDED.definition_id
         WHERE (polls.defined_at_ms, polls.definition_seq) < (EXCLUDED.defined_at_ms, EXCLUDED.definition_seq)`,
      [
        definitions.map((d) => d.pollId),
        definitions.map((d) => JSON.stringify(d.options)),
        definitions.map((d) => JSON.stringify(d.regionWeights)),
        definitions.map((d) => d.definedAtMs),
        definitions.map((d) => d.seq),
        definitions.map((d) => d.writeId),
      ],
    );
  }

  async keepSnapshots(snapshots: RegionalTally[]): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.schema}.snapshots (poll_id, region, version, counts, taken_at_ms) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::jsonb[], $5::bigint[])
         ON CONFLICT (poll_id, region) DO UPDATE SET version = EXCLUDED.version, counts = EXCLUDED.counts, taken_at_ms = EXCLUDED.taken_at_ms
         WHERE snapshots.version < EXCLUDED.version`,
      [
        snapshots.map((s) => s.pollId),
        snapshots.map((s) => s.region),
        snapshots.map((s) => s.version),
        snapshots.map((s) => JSON.stringify(s.counts)),
        snapshots.map((s) => s.takenAtMs),
      ],
    );
  }

  async keepResults(changed: KeptResult[]): Promise<void> {
    await this.db.query(
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

  async rules(pollIds: string[]): Promise<Map<string, PollRules>> {
    const { rows } = await this.db.query(
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

  async snapshots(pollIds: string[]): Promise<Map<string, Map<string, RegionSnapshot>>> {
    const { rows } = await this.db.query(
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

  async keptResults(pollIds: string[]): Promise<Map<string, KeptResult>> {
    const { rows } = await this.db.query(
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
