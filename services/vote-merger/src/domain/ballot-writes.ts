/**
 * The rule of a region, part two: a ballot's (source, seq) names one ballot. The same id again with the same
 * poll, user, option and region is a retry or a replay and changes nothing (one vote per poll and user does the
 * rest); with another one it is a client's reused id: refused before the ballots are decided, the first ballot
 * stands, reported as id_reused_with_different_<field> (@tally/contracts). Not compared: castAtMs, the time the
 * gateway received it (a retry is received later and is the same ballot).
 *
 * Pure: the store records the first body of each id and hands back the bodies it already held (see
 * count-ballots.ts); this says which ballots of a batch are reuses.
 */
import { judgeWrites, type WriteBody, type WriteConflictReason } from '@tally/contracts';
import type { BallotIn } from './ballots.js';

/** What a ballot says, in the order a reuse is named by. */
export const BALLOT_FIELDS = ['poll', 'user', 'option', 'region'] as const;
export type BallotField = (typeof BALLOT_FIELDS)[number];
export type BallotBody = WriteBody<BallotField>;

export interface BallotConflict {
  ballot: BallotIn;
  field: BallotField;
  reason: WriteConflictReason;
}

export const ballotBody = (b: Pick<BallotIn, 'pollId' | 'userId' | 'optionId' | 'region'>): BallotBody => ({
  poll: b.pollId,
  user: b.userId,
  option: b.optionId,
  region: b.region,
});

/** The ballots that reuse an id with another body, against `recorded` (the bodies stored before this batch, by id). */
export function ballotConflicts(
  ballots: readonly BallotIn[],
  recorded: ReadonlyMap<string, BallotBody>,
): BallotConflict[] {
  const verdicts = judgeWrites(
    BALLOT_FIELDS,
    ballots.map((b) => ({ id: b.id, body: ballotBody(b) })),
    recorded,
  );
  return ballots.flatMap((ballot, i) => {
    const verdict = verdicts[i]!;
    return verdict.kind === 'conflict' ? [{ ballot, field: verdict.field, reason: verdict.reason }] : [];
  });
}
