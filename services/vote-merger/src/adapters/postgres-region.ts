import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import type { GlobalResult, PollDefinition } from '@tally/schemas';
import {
  countIncrements,
  decideBallots,
  settlePending,
  snapshotVersion,
  voterKey,
  type BallotDecision,
  type BallotIn,
} from '../domain/ballots.js';
import { newestPerPoll } from '../domain/poll-definitions.js';
import { lockPolls } from './poll-locks.js';

/** A region's counts for one poll as they leave the region. */
export interface RegionCounts {
  pollId: string;
  version: number;
  votes: number;
  counts: Record<string, number>;
  takenAtMs: number;
}

/**
 * One region's ballots and counts in Postgres (its own schema). Each batch is one transaction: the partition's
 * lock (two owners of a partition during a rebalance queue), then a shared lock of the batch's polls (so a
 * definition arriving at the same time cannot miss a pending ballot), then set-based statements.
 */
export class RegionStore {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
    private readonly region: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Applies a partition's ballots; returns the decision and the current counts of every known poll they touch. */
  async applyBallots(
    partition: number,
    ballots: BallotIn[],
  ): Promise<{ decision: BallotDecision; counts: RegionCounts[] }> {
    const pollIds = [...new Set(ballots.map((b) => b.pollId))];
    const decision = await inTransaction(this.pool, async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${this.schema}/ballots/p${partition}`]);
      await lockPolls(db, this.schema, pollIds, 'shared');
      const polls = await this.pollOptions(db, pollIds);
      const decided = decideBallots(this.region, ballots, polls, await this.voted(db, ballots));
      const stored = await this.insertBallots(
        db,
        decided.accepted.filter((b) => b.status === 'counted'),
      );
      await this.insertPending(
        db,
        decided.accepted.filter((b) => b.status === 'pending'),
      );
      await this.addToTallies(db, stored);
      return decided;
    });
    // read after the commit, not inside: batches of other partitions commit beside this one, and only a read
    // after its own commit is sure to see every batch committed before it — the last to commit sends it all
    return { decision, counts: await this.countsOf(pollIds) };
  }

  /**
   * Keeps the newest definition of each poll and settles the poll's pending ballots against it. Returns the
   * counts of the polls defined (a poll without votes too: the merger then knows the region is there).
   */
  async applyDefinitions(definitions: PollDefinition[]): Promise<RegionCounts[]> {
    const newest = newestPerPoll(definitions);
    if (newest.length === 0) return [];
    await inTransaction(this.pool, async (db) => {
      await lockPolls(
        db,
        this.schema,
        newest.map((d) => d.pollId),
      );
      const { rows } = await db.query(
        `INSERT INTO ${this.schema}.polls (poll_id, options, defined_at_ms, definition_seq, definition_id)
         SELECT p, ARRAY(SELECT jsonb_array_elements_text(o)), d, s, i FROM unnest($1::text[], $2::jsonb[], $3::bigint[], $4::bigint[], $5::text[]) AS x(p, o, d, s, i)
         ON CONFLICT (poll_id) DO UPDATE SET options = EXCLUDED.options, defined_at_ms = EXCLUDED.defined_at_ms,
           definition_seq = EXCLUDED.definition_seq, definition_id = EXCLUDED.definition_id
         WHERE (polls.defined_at_ms, polls.definition_seq) < (EXCLUDED.defined_at_ms, EXCLUDED.definition_seq)
         RETURNING poll_id, options`,
        [
          newest.map((d) => d.pollId),
          newest.map((d) => JSON.stringify(d.options)),
          newest.map((d) => d.definedAtMs),
          newest.map((d) => d.seq),
          newest.map((d) => `${d.source}:${d.seq}`),
        ],
      );
      for (const row of rows) await this.settlePending(db, row.poll_id as string, new Set(row.options as string[]));
    });
    return this.countsOf(newest.map((d) => d.pollId));
  }

  /** Keeps each poll's newest global result; an older or repeated one changes nothing. */
  async keepResults(results: GlobalResult[]): Promise<void> {
    const newest = new Map<string, GlobalResult>();
    for (const r of results) if ((newest.get(r.pollId)?.version ?? -1) < r.version) newest.set(r.pollId, r);
    if (newest.size === 0) return;
    const kept = [...newest.values()];
    await this.pool.query(
      `INSERT INTO ${this.schema}.global_results (poll_id, version, result) SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[])
       ON CONFLICT (poll_id) DO UPDATE SET version = EXCLUDED.version, result = EXCLUDED.result, received_at = now()
       WHERE global_results.version < EXCLUDED.version`,
      [kept.map((r) => r.pollId), kept.map((r) => r.version), kept.map((r) => JSON.stringify(r))],
    );
  }

  async result(pollId: string): Promise<GlobalResult | undefined> {
    const { rows } = await this.pool.query(`SELECT result FROM ${this.schema}.global_results WHERE poll_id = $1`, [
      pollId,
    ]);
    return rows[0]?.result as GlobalResult | undefined;
  }

  /** The region's own counts of a poll (for tests and operators; the API serves the global result). */
  async counts(pollId: string): Promise<RegionCounts | undefined> {
    return (await this.countsOf([pollId]))[0];
  }

  private async pollOptions(db: PoolClient, pollIds: string[]): Promise<Map<string, Set<string>>> {
    const { rows } = await db.query(`SELECT poll_id, options FROM ${this.schema}.polls WHERE poll_id = ANY($1)`, [
      pollIds,
    ]);
    return new Map(rows.map((r) => [r.poll_id as string, new Set(r.options as string[])]));
  }

  private async voted(db: PoolClient, ballots: Pick<BallotIn, 'pollId' | 'userId'>[]): Promise<Set<string>> {
    // a primary-key probe per ballot (OFFSET 0 keeps it one): as a join, the planner hashes the whole ballots
    // table once it is large, and every batch then reads every ballot (the drain slowed as the table grew)
    const { rows } = await db.query(
      `SELECT b.poll_id, b.user_id FROM unnest($1::text[], $2::text[]) AS t(p, u)
       CROSS JOIN LATERAL (SELECT poll_id, user_id FROM ${this.schema}.ballots WHERE poll_id = t.p AND user_id = t.u OFFSET 0) AS b`,
      [ballots.map((b) => b.pollId), ballots.map((b) => b.userId)],
    );
    return new Set(rows.map((r) => voterKey(r.poll_id as string, r.user_id as string)));
  }

  /** Stores counted ballots; returns those actually inserted (all of them, under the locks taken). */
  private async insertBallots(db: PoolClient, counted: BallotDecision['accepted']) {
    if (counted.length === 0) return [];
    const { rows } = await db.query(
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

  /** Keeps every pending ballot once (a redelivered one is the same write), in arrival order. */
  private async insertPending(db: PoolClient, pending: BallotDecision['accepted']) {
    if (pending.length === 0) return;
    await db.query(
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

  /** The definition settles the poll's pending ballots: each user's first for one of its options counts. */
  private async settlePending(db: PoolClient, pollId: string, options: Set<string>): Promise<void> {
    const { rows } = await db.query(
      `DELETE FROM ${this.schema}.pending_ballots WHERE poll_id = $1
       RETURNING arrival, user_id AS "userId", option_id AS "optionId", write_id AS "writeId", cast_at_ms AS "castAtMs"`,
      [pollId],
    );
    if (rows.length === 0) return;
    const pending = (
      rows as { arrival: string; userId: string; optionId: string; writeId: string; castAtMs: string }[]
    ).sort((a, b) => Number(a.arrival) - Number(b.arrival));
    const voted = await this.voted(
      db,
      pending.map((b) => ({ pollId, userId: b.userId })),
    );
    const { counted } = settlePending(
      options,
      pending,
      new Set(pending.map((b) => b.userId).filter((u) => voted.has(voterKey(pollId, u)))),
    );
    const stored = await this.insertBallots(
      db,
      counted.map((b) => ({
        pollId,
        userId: b.userId,
        optionId: b.optionId,
        region: this.region,
        id: b.writeId,
        castAtMs: Number(b.castAtMs),
        status: 'counted' as const,
      })),
    );
    await this.addToTallies(db, stored);
  }

  private async addToTallies(db: PoolClient, counted: { pollId: string; optionId: string }[]): Promise<void> {
    const rows = [...countIncrements(counted)].flatMap(([pollId, options]) =>
      [...options].map(([optionId, n]) => [pollId, optionId, n] as const),
    );
    if (rows.length === 0) return;
    // batches of several partitions increment the same rows: always in one order, so they queue, not deadlock
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    await db.query(
      `INSERT INTO ${this.schema}.tallies (poll_id, option_id, votes) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
       ON CONFLICT (poll_id, option_id) DO UPDATE SET votes = tallies.votes + EXCLUDED.votes`,
      [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
    );
  }

  /** Current counts of the known polls among `pollIds`, in one statement (one snapshot: version and counts agree). */
  private async countsOf(pollIds: string[]): Promise<RegionCounts[]> {
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
    const takenAtMs = this.now();
    return [...byPoll].map(([pollId, counts]) => ({
      pollId,
      counts,
      version: snapshotVersion(counts),
      votes: snapshotVersion(counts),
      takenAtMs,
    }));
  }
}
