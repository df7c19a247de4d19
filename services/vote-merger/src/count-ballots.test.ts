import type { GlobalResult, PollDefinition } from '@tally/schemas';
import { describe, expect, it } from 'vitest';
import {
  applyRegionDefinitions,
  countBallots,
  keepGlobalResults,
  type PendingBallot,
  type RegionPort,
  type RegionTransaction,
} from './count-ballots.js';
import { ballotBody, type BallotBody } from './domain/ballot-writes.js';
import { voterKey, type BallotIn } from './domain/ballots.js';

/** A region's tables in memory, behind the port the Postgres adapter implements. */
class MemoryRegion implements RegionPort {
  readonly polls = new Map<string, Set<string>>();
  readonly ballots = new Map<string, string>();
  readonly pending = new Map<string, PendingBallot[]>();
  readonly tallies = new Map<string, Record<string, number>>();
  readonly results: GlobalResult[] = [];
  readonly locks: string[] = [];
  readonly writes = new Map<string, BallotBody>();

  inBallotBatch<T>(partition: number, pollIds: string[], work: (tx: RegionTransaction) => Promise<T>) {
    this.locks.push(`p${partition} shared ${pollIds.join(',')}`);
    return work(this.tx());
  }

  inPolls<T>(pollIds: string[], work: (tx: RegionTransaction) => Promise<T>) {
    this.locks.push(`exclusive ${pollIds.join(',')}`);
    return work(this.tx());
  }

  async countsOf(pollIds: string[]) {
    return pollIds
      .filter((p) => this.polls.has(p))
      .map((pollId) => ({ pollId, counts: this.tallies.get(pollId) ?? {} }));
  }

  async keepResults(results: GlobalResult[]) {
    this.results.push(...results);
  }

  now = () => 7_000;

  private tx(): RegionTransaction {
    return {
      recordBallots: async (ballots) => {
        const before = new Map(this.writes);
        for (const b of ballots) if (!this.writes.has(b.id)) this.writes.set(b.id, ballotBody(b));
        return new Map(ballots.filter((b) => before.has(b.id)).map((b) => [b.id, before.get(b.id)!]));
      },
      pollOptions: async (ids) => new Map(ids.filter((p) => this.polls.has(p)).map((p) => [p, this.polls.get(p)!])),
      voted: async (voters) =>
        new Set(voters.map((v) => voterKey(v.pollId, v.userId)).filter((k) => this.ballots.has(k))),
      insertBallots: async (counted) => {
        const fresh = counted.filter((b) => !this.ballots.has(voterKey(b.pollId, b.userId)));
        for (const b of fresh) this.ballots.set(voterKey(b.pollId, b.userId), b.optionId);
        return fresh.map((b) => ({ pollId: b.pollId, optionId: b.optionId }));
      },
      insertPending: async (pending) => {
        for (const b of pending)
          this.pending.set(b.pollId, [
            ...(this.pending.get(b.pollId) ?? []),
            { userId: b.userId, optionId: b.optionId, writeId: b.id, castAtMs: b.castAtMs },
          ]);
      },
      addToTallies: async (increments) => {
        for (const [pollId, options] of increments) {
          const counts = this.tallies.get(pollId) ?? {};
          for (const [optionId, n] of options) counts[optionId] = (counts[optionId] ?? 0) + n;
          this.tallies.set(pollId, counts);
        }
      },
      keepDefinitions: async (definitions) =>
        definitions.map((d) => {
          this.polls.set(d.pollId, new Set(d.options));
          return { pollId: d.pollId, options: new Set(d.options) };
        }),
      takePending: async (pollId) => {
        const taken = this.pending.get(pollId) ?? [];
        this.pending.delete(pollId);
        return taken;
      },
    };
  }
}

const ballot = (userId: string, optionId: string, seq: number): BallotIn => ({
  pollId: 'poll',
  userId,
  optionId,
  region: 'kr',
  id: `app:${seq}`,
  castAtMs: 1_000,
});

const definition = (options: string[]): PollDefinition =>
  ({ pollId: 'poll', options, regionWeights: { kr: 1 }, definedAtMs: 1, source: 'admin', seq: 1 }) as PollDefinition;

describe("a region's ballots", () => {
  it("keeps ballots for an unknown poll pending, and counts each user's first valid one when it is defined", async () => {
    const region = new MemoryRegion();
    const first = await countBallots(region, 'kr', 3, [
      ballot('u1', 'x', 1),
      ballot('u1', 'a', 2),
      ballot('u2', 'b', 3),
    ]);
    expect(first.counts).toEqual([]);
    expect(first.decision.accepted.map((b) => b.status)).toEqual(['pending', 'pending', 'pending']);
    const counts = await applyRegionDefinitions(region, 'kr', [definition(['a', 'b'])]);
    expect(counts).toEqual([{ pollId: 'poll', counts: { a: 1, b: 1 }, version: 2, votes: 2, takenAtMs: 7_000 }]);
    expect(region.locks).toEqual(['p3 shared poll', 'exclusive poll']);
  });

  it('counts one ballot per user once the poll is known, and answers the counts after the batch', async () => {
    const region = new MemoryRegion();
    await applyRegionDefinitions(region, 'kr', [definition(['a', 'b'])]);
    const { decision, counts } = await countBallots(region, 'kr', 0, [ballot('u1', 'a', 1), ballot('u1', 'b', 2)]);
    expect(decision.superseded).toHaveLength(1);
    expect(counts).toEqual([{ pollId: 'poll', counts: { a: 1 }, version: 1, votes: 1, takenAtMs: 7_000 }]);
  });

  it('refuses a ballot whose id was taken with another option or user: the first stands; the same ballot again is superseded, not refused', async () => {
    const region = new MemoryRegion();
    await applyRegionDefinitions(region, 'kr', [definition(['a', 'b'])]);
    await countBallots(region, 'kr', 0, [ballot('u1', 'a', 1)]);
    const again = { ...ballot('u1', 'a', 1), castAtMs: 9_000 };
    const { decision, conflicts, counts } = await countBallots(region, 'kr', 0, [
      ballot('u1', 'b', 1),
      ballot('u2', 'a', 1),
      again,
    ]);
    expect(conflicts.map((c) => [c.ballot.userId, c.ballot.optionId, c.reason])).toEqual([
      ['u1', 'b', 'id_reused_with_different_option'],
      ['u2', 'a', 'id_reused_with_different_user'],
    ]);
    expect(decision.superseded).toEqual([again]);
    expect(decision.accepted).toEqual([]);
    expect(counts).toEqual([{ pollId: 'poll', counts: { a: 1 }, version: 1, votes: 1, takenAtMs: 7_000 }]);
  });

  it("keeps only each poll's newest global result of a batch", async () => {
    const region = new MemoryRegion();
    const result = (pollId: string, version: number) => ({ pollId, version }) as GlobalResult;
    await keepGlobalResults(region, [result('p', 2), result('p', 5), result('q', 1), result('p', 3)]);
    expect(region.results).toEqual([result('p', 5), result('q', 1)]);
  });
});
