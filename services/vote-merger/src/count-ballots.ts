import { formatWriteKey } from '@tally/contracts';
import type { GlobalResult, PollDefinition } from '@tally/schemas';
import {
  countIncrements,
  decideBallots,
  settlePending,
  snapshotVersion,
  voterKey,
  type BallotDecision,
  type BallotIn,
  type StoredBallot,
} from './domain/ballots.js';
import { ballotConflicts, type BallotBody, type BallotConflict } from './domain/ballot-writes.js';
import { newestPerPoll } from './domain/poll-definitions.js';

/** A region's counts for one poll as they leave the region. */
export interface RegionCounts {
  pollId: string;
  version: number;
  votes: number;
  counts: Record<string, number>;
  takenAtMs: number;
}

/** A pending ballot as kept for a poll the region did not know yet. */
export interface PendingBallot {
  userId: string;
  optionId: string;
  /** The ballot's write id (formatWriteKey of @tally/contracts). */
  writeId: string;
  castAtMs: number;
}

/** A definition as the region keeps it: the write id it came as. */
export type KeptDefinition = Pick<PollDefinition, 'pollId' | 'options' | 'definedAtMs' | 'seq'> & { writeId: string };

/** What one transaction of the region needs from storage (under the locks its port method took). */
export interface RegionTransaction {
  /**
   * Records the body of each ballot whose id has none yet (the first of each id among `ballots`); returns, by id,
   * the bodies already recorded for the others (by an earlier batch, or one of another partition committed first).
   */
  recordBallots(ballots: BallotIn[]): Promise<Map<string, BallotBody>>;
  /** The options of the polls the region knows, among `pollIds`. */
  pollOptions(pollIds: string[]): Promise<Map<string, Set<string>>>;
  /** The (poll, user) pairs among these that already have a counted ballot, as `voterKey`s. */
  voted(voters: { pollId: string; userId: string }[]): Promise<Set<string>>;
  /** Stores counted ballots; returns those actually inserted (all of them, under the locks taken). */
  insertBallots(counted: StoredBallot[]): Promise<{ pollId: string; optionId: string }[]>;
  /** Keeps pending ballots once each (a redelivered one is the same write), in the given order. */
  insertPending(pending: StoredBallot[]): Promise<void>;
  /** Adds to the polls' tallies: per poll, per option. */
  addToTallies(increments: Map<string, Map<string, number>>): Promise<void>;
  /** Stores each definition newer than the poll's; returns the polls whose definition changed, with its options. */
  keepDefinitions(definitions: KeptDefinition[]): Promise<{ pollId: string; options: Set<string> }[]>;
  /** Takes (deletes and returns) a poll's pending ballots, in arrival order. */
  takePending(pollId: string): Promise<PendingBallot[]>;
}

/** The port of the region's use cases (RegionStore in Postgres). */
export interface RegionPort {
  /** One transaction under the partition's lock and a shared lock of the polls (see poll-locks.ts). */
  inBallotBatch<T>(partition: number, pollIds: string[], work: (tx: RegionTransaction) => Promise<T>): Promise<T>;
  /** One transaction under exclusive locks of the polls: a definition settles their pending ballots. */
  inPolls<T>(pollIds: string[], work: (tx: RegionTransaction) => Promise<T>): Promise<T>;
  /** The current counts of the known polls among `pollIds`, read in one statement (committed state). */
  countsOf(pollIds: string[]): Promise<{ pollId: string; counts: Record<string, number> }[]>;
  /** Stores each result newer (by version) than the poll's. */
  keepResults(results: GlobalResult[]): Promise<void>;
  /** The clock snapshots are taken by (injected in tests). */
  now(): number;
}

/**
 * Applies a partition's ballots; returns the decision, the ballots refused as reused ids (they change nothing and
 * are dead-lettered by the handler), and the current counts of every known poll they touch.
 */
export async function countBallots(
  store: RegionPort,
  region: string,
  partition: number,
  ballots: BallotIn[],
): Promise<{ decision: BallotDecision; conflicts: BallotConflict[]; counts: RegionCounts[] }> {
  const pollIds = [...new Set(ballots.map((b) => b.pollId))];
  const { decision, conflicts } = await store.inBallotBatch(partition, pollIds, async (tx) => {
    // the ids first, before any other write of the batch: a batch of another partition that shares an id waits
    // here for this one to commit, holding no row another batch could be waiting for
    const conflicts = ballotConflicts(ballots, await tx.recordBallots(ballots));
    const reused = new Set(conflicts.map((c) => c.ballot));
    const fresh = ballots.filter((b) => !reused.has(b));
    const polls = await tx.pollOptions(pollIds);
    const decided = decideBallots(region, fresh, polls, await tx.voted(fresh));
    const stored = await tx.insertBallots(decided.accepted.filter((b) => b.status === 'counted'));
    await tx.insertPending(decided.accepted.filter((b) => b.status === 'pending'));
    await tx.addToTallies(countIncrements(stored));
    return { decision: decided, conflicts };
  });
  // read after the commit, not inside: batches of other partitions commit beside this one, and only a read
  // after its own commit is sure to see every batch committed before it — the last to commit sends it all
  return { decision, conflicts, counts: await currentCounts(store, pollIds) };
}

/**
 * Keeps the newest definition of each poll and settles the poll's pending ballots against it. Returns the
 * counts of the polls defined (a poll without votes too: the merger then knows the region is there).
 */
export async function applyRegionDefinitions(
  store: RegionPort,
  region: string,
  definitions: PollDefinition[],
): Promise<RegionCounts[]> {
  const newest = newestPerPoll(definitions);
  if (newest.length === 0) return [];
  const pollIds = newest.map((d) => d.pollId);
  await store.inPolls(pollIds, async (tx) => {
    const redefined = await tx.keepDefinitions(newest.map((d) => ({ ...d, writeId: formatWriteKey(d) })));
    for (const { pollId, options } of redefined) await settle(tx, region, pollId, options);
  });
  return currentCounts(store, pollIds);
}

/** The definition settles the poll's pending ballots: each user's first for one of its options counts. */
async function settle(tx: RegionTransaction, region: string, pollId: string, options: Set<string>): Promise<void> {
  const pending = await tx.takePending(pollId);
  if (pending.length === 0) return;
  const voted = await tx.voted(pending.map((b) => ({ pollId, userId: b.userId })));
  const { counted } = settlePending(
    options,
    pending,
    new Set(pending.map((b) => b.userId).filter((u) => voted.has(voterKey(pollId, u)))),
  );
  const stored = await tx.insertBallots(
    counted.map((b) => ({
      pollId,
      userId: b.userId,
      optionId: b.optionId,
      region,
      id: b.writeId,
      castAtMs: b.castAtMs,
      status: 'counted' as const,
    })),
  );
  await tx.addToTallies(countIncrements(stored));
}

/** Keeps each poll's newest global result; an older or repeated one changes nothing. */
export async function keepGlobalResults(store: RegionPort, results: GlobalResult[]): Promise<void> {
  const newest = new Map<string, GlobalResult>();
  for (const r of results) if ((newest.get(r.pollId)?.version ?? -1) < r.version) newest.set(r.pollId, r);
  if (newest.size > 0) await store.keepResults([...newest.values()]);
}

/** The region's counts of the polls as they leave it: versioned by the ballots counted (see snapshotVersion). */
export async function currentCounts(store: RegionPort, pollIds: string[]): Promise<RegionCounts[]> {
  const polls = await store.countsOf(pollIds);
  const takenAtMs = store.now();
  return polls.map(({ pollId, counts }) => ({
    pollId,
    counts,
    version: snapshotVersion(counts),
    votes: snapshotVersion(counts),
    takenAtMs,
  }));
}
