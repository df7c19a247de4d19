/**
 * The rule of a region: what a batch of ballots does to the region's counts. Pure; the use case
 * (count-ballots.ts) loads the polls and the (poll, user) pairs that already voted through its port, calls
 * `decideBallots`, and writes what it returns in the same transaction.
 *
 * - One vote per (poll, user), first wins: a user's ballots for a poll share a partition (key pollId/userId), so
 *   "first" is first in that partition. A later ballot, a retry or a replay of the first, changes nothing. A
 *   ballot whose (source, seq) named another ballot before never reaches this rule: it is a reused id, refused
 *   by the use case (ballot-writes.ts).
 * - A ballot for an option the poll does not have is refused (dead-lettered) and does not use up the vote.
 * - A ballot for a poll the region does not know yet is kept as pending, every one of a user's in partition
 *   order: the definition travels on another topic and may arrive later. When it does, each user's first
 *   pending ballot for one of its options counts and the rest are dropped — exactly what the ballots would
 *   have done had the definition come first, so the order of the two topics changes nothing.
 * - A ballot taken by another region is refused: a region counts only its own votes.
 */
export interface BallotIn {
  pollId: string;
  userId: string;
  optionId: string;
  region: string;
  /** The ballot's write id, "<source>:<seq>" (formatWriteKey of @tally/contracts). */
  id: string;
  castAtMs: number;
}

export type BallotStatus = 'counted' | 'pending';

export interface StoredBallot extends BallotIn {
  status: BallotStatus;
}

export type BallotRefusal = 'wrong_region' | 'unknown_option';

export interface BallotDecision {
  /** Ballots to store, in batch order: counted ones (one per voter), and pending ones (all, in order). */
  accepted: StoredBallot[];
  /** Ballots that lost to an earlier one of the same user (kept for metrics; they change nothing). */
  superseded: BallotIn[];
  refused: { ballot: BallotIn; reason: BallotRefusal }[];
}

export const voterKey = (pollId: string, userId: string) => `${pollId}\u0000${userId}`;

/**
 * @param polls the options of every poll of the batch the region knows
 * @param voted the (poll, user) pairs that already have a ballot, as `voterKey`s
 */
export function decideBallots(
  region: string,
  ballots: BallotIn[],
  polls: ReadonlyMap<string, ReadonlySet<string>>,
  voted: ReadonlySet<string>,
): BallotDecision {
  const decision: BallotDecision = { accepted: [], superseded: [], refused: [] };
  const votedNow = new Set(voted);
  for (const ballot of ballots) {
    if (ballot.region !== region) {
      decision.refused.push({ ballot, reason: 'wrong_region' });
      continue;
    }
    const options = polls.get(ballot.pollId);
    if (options && !options.has(ballot.optionId)) {
      decision.refused.push({ ballot, reason: 'unknown_option' });
      continue;
    }
    const key = voterKey(ballot.pollId, ballot.userId);
    if (votedNow.has(key)) {
      decision.superseded.push(ballot);
      continue;
    }
    // a pending ballot holds no vote yet: which of a user's pending ballots counts is for the definition to say
    if (options) votedNow.add(key);
    decision.accepted.push({ ...ballot, status: options ? 'counted' : 'pending' });
  }
  return decision;
}

/**
 * What a poll's definition does to its pending ballots (in arrival order): each user's first ballot for one of
 * its options counts, unless the user already has a counted ballot (`voted`); every other one is dropped.
 */
export function settlePending<B extends { userId: string; optionId: string }>(
  options: ReadonlySet<string>,
  pending: readonly B[],
  voted: ReadonlySet<string> = new Set(),
) {
  const counted: B[] = [];
  const voided: B[] = [];
  const votedNow = new Set(voted);
  for (const ballot of pending) {
    if (!votedNow.has(ballot.userId) && options.has(ballot.optionId)) {
      votedNow.add(ballot.userId);
      counted.push(ballot);
    } else voided.push(ballot);
  }
  return { counted, voided };
}

/** Per poll, per option: how many ballots a set of newly counted ballots adds. */
export function countIncrements(
  counted: readonly { pollId: string; optionId: string }[],
): Map<string, Map<string, number>> {
  const increments = new Map<string, Map<string, number>>();
  for (const { pollId, optionId } of counted) {
    const options = increments.get(pollId) ?? new Map<string, number>();
    options.set(optionId, (options.get(optionId) ?? 0) + 1);
    increments.set(pollId, options);
  }
  return increments;
}

/**
 * A region's snapshot version is the number of ballots it has counted for the poll. Counts only ever grow, so
 * every change raises it, two snapshots with one version are the same snapshot, and a region rebuilt from its
 * topic reaches the same versions again (a counter would restart at 1 and look stale to the merger).
 */
export function snapshotVersion(counts: ReadonlyMap<string, number> | Record<string, number>): number {
  const values = counts instanceof Map ? [...counts.values()] : Object.values(counts);
  return values.reduce((sum, n) => sum + n, 0);
}
