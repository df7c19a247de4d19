import { createHash } from 'node:crypto';
import type { WriteKey } from '@tally/idempotency';
import type { QueueCommand } from '@tally/schemas';

/** Seed 002 runs 100 active at once; far more is a typo, and the bound keeps the admitter's active set small. */
export const MAX_CAPACITY = 100_000;
/** A day: an admission lasting longer is not a waiting-room slot any more. */
export const MAX_ACTIVE_SECONDS = 86_400;

/** What `ticketIdFor` names: `t_` and 24 hex digits (96 bits of sha256), so a guessed id finds nothing. */
export const TICKET_ID_PATTERN = /^t_[0-9a-f]{24}$/;

/** An admission token is a JWT: base64url parts joined by dots. Checked here only so junk never reaches the admitter. */
export const ADMISSION_TOKEN_PATTERN = /^[A-Za-z0-9_.-]+$/;
export const MAX_ADMISSION_TOKEN_LENGTH = 2048;

/** The JSON body of `PUT /v1/queues/{queueId}`, once validated. */
export interface ConfigureRequest {
  capacity: number;
  activeSeconds: number;
}

/** The JSON body of `POST /v1/queues/{queueId}/tickets`, once validated. */
export interface JoinRequest extends WriteKey {
  userId: string;
}

/**
 * The ticket a join names, a function of the join's (queueId, source, seq) only: a client retrying a join it
 * got no answer for is told the same ticket, and the admitter sees the same ticket twice rather than two.
 */
export function ticketIdFor(queueId: string, { source, seq }: WriteKey): string {
  const digest = createHash('sha256').update(`${queueId}\u0000${source}\u0000${seq}`, 'utf8').digest('hex');
  return `t_${digest.slice(0, 24)}`;
}

/**
 * What a client may ask for. ADMIT and EXPIRE are the admitter's decisions, written by queue-admitter alone: the
 * gateway never builds one, so no client can admit itself.
 */
export type ClientQueueCommandKind = Exclude<QueueCommand['kind'], 'ADMIT' | 'EXPIRE'>;

type KindAndDetails = { kind: ClientQueueCommandKind } & Partial<Pick<QueueCommand, 'ticketId' | 'userId' | 'capacity' | 'activeSeconds'>>;

function toQueueCommand(queueId: string, key: WriteKey, receivedAtMs: number, details: KindAndDetails): QueueCommand {
  return { source: key.source, seq: key.seq, queueId, ticketId: null, userId: null, capacity: null, activeSeconds: null, receivedAtMs, ticketIds: null, atMs: null, basisOffset: null, ...details };
}

/** Sets capacity and activeSeconds for what the admitter admits from then on; the last one wins. */
export function toConfigureCommand(queueId: string, request: ConfigureRequest, key: WriteKey, receivedAtMs: number): QueueCommand {
  return toQueueCommand(queueId, key, receivedAtMs, { kind: 'CONFIGURE', capacity: request.capacity, activeSeconds: request.activeSeconds });
}

/** A user joins the line; its place is the command's place on the queue's partition (first come, first served). */
export function toJoinCommand(queueId: string, request: JoinRequest, receivedAtMs: number): QueueCommand {
  return toQueueCommand(queueId, request, receivedAtMs, { kind: 'JOIN', ticketId: ticketIdFor(queueId, request), userId: request.userId });
}

/** Gives up a waiting or active ticket; leaving twice changes nothing. */
export function toLeaveCommand(queueId: string, ticketId: string, key: WriteKey, receivedAtMs: number): QueueCommand {
  return toQueueCommand(queueId, key, receivedAtMs, { kind: 'LEAVE', ticketId });
}

/** Ends an active ticket (the booking is done), freeing its slot before activeSeconds run out. */
export function toCompleteCommand(queueId: string, ticketId: string, key: WriteKey, receivedAtMs: number): QueueCommand {
  return toQueueCommand(queueId, key, receivedAtMs, { kind: 'COMPLETE', ticketId });
}
