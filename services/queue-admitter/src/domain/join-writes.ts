/**
 * The rule of queue-admitter, part three: a join's (source, seq) names one join. The same id again with the
 * same queue and user is a retry and changes nothing (the fold sees its ticket again); with another queue or user
 * it is a client's reused id: refused, the first join stands, reported as id_reused_with_different_<field>
 * (@tally/contracts). Not compared: the ticket id (the gateway derives it from the queue and the id, so it
 * differs exactly when the queue does) and receivedAtMs (a retry is received later and is the same join).
 *
 * Pure: the store records the first body of each id and hands back the bodies it already held (see
 * apply-queue-commands.ts); this says which joins of a batch are reuses.
 */
import { judgeWrites, type IdentifiedWrite, type WriteBody, type WriteConflictReason } from '@tally/contracts';
import type { LoggedCommand } from './tickets.js';

/** What a join says, in the order a reuse is named by: the queue first (another queue is another join altogether). */
export const JOIN_FIELDS = ['queue', 'user'] as const;
export type JoinField = (typeof JOIN_FIELDS)[number];
export type JoinBody = WriteBody<JoinField>;

/** A join of a batch: its write id, its body, and its offset (which record it is). */
export interface JoinWrite extends IdentifiedWrite<JoinField> {
  offset: number;
}

export interface JoinConflict {
  offset: number;
  writeId: string;
  field: JoinField;
  reason: WriteConflictReason;
}

export const joinBody = (queueId: string, userId: string): JoinBody => ({ queue: queueId, user: userId });

/** The joins among a partition's records, in offset order (a record without a write id is not a client's join). */
export function joinWrites(records: readonly LoggedCommand[]): JoinWrite[] {
  return records.flatMap(({ offset, queueId, command, writeId }) =>
    command.kind === 'JOIN' && writeId !== undefined
      ? [{ offset, id: writeId, body: joinBody(queueId, command.userId) }]
      : [],
  );
}

/** The joins that reuse an id with another body, against `recorded` (the bodies stored before this batch, by id). */
export function joinConflicts(joins: readonly JoinWrite[], recorded: ReadonlyMap<string, JoinBody>): JoinConflict[] {
  const verdicts = judgeWrites(JOIN_FIELDS, joins, recorded);
  return joins.flatMap((join, i) => {
    const verdict = verdicts[i]!;
    return verdict.kind === 'conflict'
      ? [{ offset: join.offset, writeId: join.id, field: verdict.field, reason: verdict.reason }]
      : [];
  });
}
