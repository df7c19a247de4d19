import { firstOfEachId } from '@tally/contracts';
import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import type { GlobalResult } from '@tally/schemas';
import type { KeptDefinition, PendingBallot, RegionPort, RegionTransaction } from '../count-ballots.js';
import { ballotBody, type BallotBody } from '../domain/ballot-writes.js';
import { voterKey, type BallotIn, type StoredBallot } from '../domain/ballots.js';
import { lockPolls } from './poll-locks.js';

export type { RegionCounts } from '../count-ballots.js';

/**
 * One region's ballots and counts in Postgres (its own schema). Each batch is one transaction: the partition's
 * lock (two owners of a partition during a rebalance queue), then a shared lock of the batch's polls (so a
 * definition arriving at the same time cannot miss a pending ballot), then set-based statements.
 */
export class RegionStore implements RegionPort {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    /** The region whose ballots this schema holds. */
    readonly region: string,
    readonly now: () => number = Date.now,
  ) {}

  inBallotBatch<T>(partition: number, pollIds: string[], work: (tx: RegionTransaction) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.schema}/ballots/p${partition}`]);
      await lockPolls(db, this.schema, pollIds, 'shared');
      return work(new PostgresRegionTransaction(db, this.schema));
    });
  }

  inPolls<T>(pollIds: string[], work: (tx: RegionTransaction) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (db) => {
      await lockPolls(db, this.schema, pollIds);
      return work(new PostgresRegionTransaction(db, this.schema));
    });
  }

  async keepResults(results: GlobalResult[]): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.schema}.global_results (poll_id, version, result) SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[])
       ON CONFLICT (poll_id) DO UPDATE SET version = EXCLUDED.version, result = EXCLUDED.result, received_at = now()
       WHERE global_results.version < EXCLUDED.version`,
      [results.map((r) => r.pollId), results.map((r) => r.version), results.map((r) => JSON.stringify(r))],
    );
  }

  async result(pollId: string): Promise<GlobalResult | undefined> {
    const { rows } = await this.pool.query(`SELECT result FROM ${this.schema}.global_results WHERE poll_id = $1`, [
      pollId,
    ]);
    return rows[0]?.result as GlobalResult | undefined;
  }

  /** Current counts of the known polls among `pollIds`, in one statement (one snapshot: version and counts agree). */
  async countsOf(pollIds: string[]): Promise<{ pollId: string; counts: Record<string, number> }[]> {
    const { rows } = await this.pool.query(
      `SELECT p.poll_id, t.option_id, t.votes FROM ${this.schema}.polls p LEFT JOIN ${this.schema}.tallies t ON t.poll_id = p.poll_id WHERE p.poll_id = ANY($1)`,
      [pollIds],
    );
    const byPoll = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const counts = byPoll.get(r.poll_id) ?? {};
      if (r.option_id !== null) counts[r.option_id as string] = r.votes as number;
      byPoll.set(r.poll_id, counts);
    }
    return [...byPoll].map(([pollId, counts]) => ({ pollId, counts }));
  }
}

/** The statements of one transaction of the region (see RegionStore.inBallotBatch and inPolls). */
class PostgresRegionTransaction implements RegionTransaction {
  constructor(
    private readonly db: PoolClient,
    private readonly schema: string,
  ) {}

  /**
   * Inserts the first ballot of each id not recorded yet, in id order (every batch offers its ids in that order,
   * so two batches of other partitions that share ids wait for each other instead of deadlocking); reads back
   * only the ids it did not insert, in a statement of its own, so it sees a row that another partition's batch
   * committed while this one waited for it. Both by primary key.
   */
  async recordBallots(ballots: BallotIn[]): Promise<Map<string, BallotBody>> {
    const offered = firstOfEachId(ballots).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (offered.length === 0) return new Map();
    const { rows: inserted } = await this.db.query(
      `INSERT INTO ${this.schema}.ballot_writes (write_id, poll_id, user_id, option_id, region)
       SELECT w, p, u, o, r FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(w, p, u, o, r, i) ORDER BY i
       ON CONFLICT (write_id) DO NOTHING RETURNING write_id`,
      [
        offered.map((b) => b.id),
        offered.map((b) => b.pollId),
        offered.map((b) => b.userId),
        offered.map((b) => b.optionId),
        offered.map((b) => b.region),
      ],
    );
    if (inserted.length === offered.length) return new Map();
    const fresh = new Set(inserted.map((r) => r.write_id as string));
    const { rows } = await this.db.query(
      `SELECT write_id, poll_id, user_id, option_id, region FROM ${this.schema}.ballot_writes WHERE write_id = ANY($1::text[])`,
      [offered.filter((b) => !fresh.has(b.id)).map((b) => b.id)],
    );
    return new Map(
      rows.map((r) => [
        r.write_id as string,
        ballotBody({
          pollId: r.poll_id as string,
          userId: r.user_id as string,
          optionId: r.option_id as string,
          region: r.region as string,
        }),
      ]),
    );
  }

  async pollOptions(pollIds: string[]): Promise<Map<string, Set<string>>> {
    const { rows } = await this.db.query(`SELECT poll_id, options FROM ${this.schema}.polls WHERE poll_id = ANY($1)`, [
      pollIds,
    ]);
    return new Map(rows.map((r) => [r.poll_id as string, new Set(r.options as string[])]));
  }

  async voted(voters: { pollId: string; userId: string }[]): Promise<Set<string>> {
    // a primary-key probe per ballot (OFFSET 0 keeps it one): as a join, the planner hashes the whole ballots
    // table once it is large, and every batch then reads every ballot (the drain slowed as the table grew)
    const { rows } = await this.db.query(
      `SELECT b.poll_id, b.user_id FROM unnest($1::text[], $2::text[]) AS t(p, u)
       CROSS JOIN LATERAL (SELECT poll_id, user_id FROM ${this.schema}.ballots WHERE poll_id = t.p AND user_id = t.u OFFSET 0) AS b`,
      [voters.map((b) => b.pollId), voters.map((b) => b.userId)],
    );
    return new Set(rows.map((r) => voterKey(r.poll_id as string, r.user_id as string)));
  }

  async insertBallots(counted: StoredBallot[]): Promise<{ pollId: string; optionId: string }[]> {
    if (counted.length === 0) return [];
    const { rows } = await this.db.query(
      `INSERT INTO ${this.schema}.ballots (poll_id, user_id, option_id, status, write_id, cast_at_ms)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
       ON CONFLICT (poll_id, user_id) DO NOTHING RETURNING poll_id, option_id`,
      [
        counted.map((b) => b.pollId),
        counted.map((b) => b.userId),
        counted.map((b) => b.optionId),
        counted.map((b) => b.status),
        counted.map((b) => b.id),
        counted.map((b) => b.castAtMs),
      ],
    );
    return rows.map((r) => ({ pollId: r.poll_id as string, optionId: r.option_id as string }));
  }

  async insertPending(pending: StoredBallot[]): Promise<void> {
    if (pending.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.pending_ballots (poll_id, user_id, option_id, write_id, cast_at_ms)
       SELECT p, u, o, w, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS t(p, u, o, w, c, i) ORDER BY i
       ON CONFLICT (poll_id, user_id, write_id) DO NOTHING`,
      [
        pending.map((b) => b.pollId),
        pending.map((b) => b.userId),
        pending.map((b) => b.optionId),
        pending.map((b) => b.id),
        pending.map((b) => b.castAtMs),
      ],
    );
  }

  async addToTallies(increments: Map<string, Map<string, number>>): Promise<void> {
    const rows = [...increments].flatMap(([pollId, options]) =>
      [...options].map(([optionId, n]) => [pollId, optionId, n] as const),
    );
    if (rows.length === 0) return;
    // batches of several partitions increment the same rows: always in one order, so they queue, not deadlock
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    await this.db.query(
      `INSERT INTO ${this.schema}.tallies (poll_id, option_id, votes) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
       ON CONFLICT (poll_id, option_id) DO UPDATE SET votes = tallies.votes + EXCLUDED.votes`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  }

  async keepDefinitions(definitions: KeptDefinition[]): Promise<{ pollId: string; options: Set<string> }[]> {
    const { rows } = await this.db.query(
      `INSERT INTO ${this.schema}.polls (poll_id, options, defined_at_ms, definition_seq, definition_id)
       SELECT p, ARRAY(SELECT jsonb_array_elements_text(o)), d, s, i FROM unnest($1::text[], $2::jsonb[], $3::bigint[], $4::bigint[], $5::text[]) AS x(p, o, d, s, i)
       ON CONFLICT (poll_id) DO UPDATE SET options = EXCLUDED.options, defined_at_ms = EXCLUDED.defined_at_ms,
         definition_seq = EXCLUDED.definition_seq, definition_id = EXCLUDED.definition_id
       WHERE (polls.defined_at_ms, polls.definition_seq) < (EXCLUDED.defined_at_ms, EXCLUDED.definition_seq)
       RETURNING poll_id, options`,
      [
        definitions.map((d) => d.pollId),
        definitions.map((d) => JSON.stringify(d.options)),
        definitions.map((d) => d.definedAtMs),
        definitions.map((d) => d.seq),
        definitions.map((d) => d.writeId),
      ],
    );
    return rows.map((r) => ({ pollId: r.poll_id as string, options: new Set(r.options as string[]) }));
  }

  async takePending(pollId: string): Promise<PendingBallot[]> {
    const { rows } = await this.db.query(
      `DELETE FROM ${this.schema}.pending_ballots WHERE poll_id = $1
       RETURNING arrival, user_id, option_id, write_id, cast_at_ms`,
      [pollId],
    );
    return rows
      .sort((a, b) => Number(a.arrival) - Number(b.arrival))
      .map((r) => ({
        userId: r.user_id as string,
        optionId: r.option_id as string,
        writeId: r.write_id as string,
        castAtMs: Number(r.cast_at_ms),
      }));
  }
}
