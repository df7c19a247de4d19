import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WriteKey } from '@tally/contracts';
import { TICKET_ID_PATTERN, type QueueCommand } from '@tally/schemas';

/** Seed 002 runs 100 active at once; far more is a typo, and the bound keeps the admitter's active set small. */
export const MAX_CAPACITY = 100_000;
/** A day: an admission lasting longer is not a waiting-room slot any more. */
export const MAX_ACTIVE_SECONDS = 86_400;

export { TICKET_ID_PATTERN };
/** What a join hands its client to read its ticket with: `ts_` and 43 base64url characters (256 bits). */
export const TICKET_SECRET_PATTERN = /^ts_[A-Za-z0-9_-]{43}$/;

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

/** A ticket as its join names it: the id anyone may see, and the secret only its holder gets. */
export interface TicketCredentials {
  ticketId: string;
  ticketSecret: string;
}

/**
 * The ticket a join names, a function of the join's (queueId, source, seq) and the server's TICKET_KEY only: a
 * client retrying a join it got no answer for is told the same ticket, and the admitter sees the same ticket
 * twice rather than two. The secret is an HMAC under the server key; the id is a hash of the secret, so the
 * id tells nothing about the secret, and whoever shows the secret proves they were handed the ticket.
 */
export function ticketFor(ticketKey: string, queueId: string, { source, seq }: WriteKey): TicketCredentials {
  const mac = createHmac('sha256', ticketKey)
    .update(`ticket\u0000${queueId}\u0000${source}\u0000${seq}`, 'utf8')
    .digest('base64url');
  const ticketSecret = `ts_${mac}`;
  return { ticketId: ticketIdOfSecret(queueId, ticketSecret), ticketSecret };
}

const ticketIdOfSecret = (queueId: string, ticketSecret: string) =>
  `t_${createHash('sha256').update(`${queueId}\u0000${ticketSecret}`, 'utf8').digest('hex').slice(0, 32)}`;

/** Whether `ticketSecret` is the secret of ticket `ticketId` in queue `queueId` (in constant time). */
export function opensTicket(ticketSecret: string, queueId: string, ticketId: string): boolean {
  if (!TICKET_SECRET_PATTERN.test(ticketSecret) || !TICKET_ID_PATTERN.test(ticketId)) return false;
  const expected = Buffer.from(ticketIdOfSecret(queueId, ticketSecret));
  const given = Buffer.from(ticketId);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * What a client may ask for. ADMIT and EXPIRE are the admitter's decisions, written by queue-admitter alone: the
 * gateway never builds one, so no client can admit itself.
 */
export type ClientQueueCommandKind = Exclude<QueueCommand['kind'], 'ADMIT' | 'EXPIRE'>;

type KindAndDetails = { kind: ClientQueueCommandKind } & Partial<
  Pick<QueueCommand, 'ticketId' | 'userId' | 'capacity' | 'activeSeconds'>
>;

function toQueueCommand(queueId: string, key: WriteKey, receivedAtMs: number, details: KindAndDetails): QueueCommand {
  return {
    source: key.source,
    seq: key.seq,
    queueId,
    ticketId: null,
    userId: null,
    capacity: null,
    activeSeconds: null,
    receivedAtMs,
    ticketIds: null,
    atMs: null,
    basisOffset: null,
    ...details,
  };
}

/** Sets capacity and activeSeconds for what the admitter admits from then on; the last one wins. */
export function toConfigureCommand(
  queueId: string,
  request: ConfigureRequest,
  key: WriteKey,
  receivedAtMs: number,
): QueueCommand {
  return toQueueCommand(queueId, key, receivedAtMs, {
    kind: 'CONFIGURE',
    capacity: request.capacity,
    activeSeconds: request.activeSeconds,
  });
}

/** A user joins the line; its place is the command's place on the queue's partition (first come, first served). */
export function toJoinCommand(
  queueId: string,
  request: JoinRequest,
  ticketId: string,
  receivedAtMs: number,
): QueueCommand {
  return toQueueCommand(queueId, request, receivedAtMs, { kind: 'JOIN', ticketId, userId: request.userId });
}

/** Gives up a waiting or active ticket; leaving twice changes nothing. */
export function toLeaveCommand(queueId: string, ticketId: string, key: WriteKey, receivedAtMs: number): QueueCommand {
  return toQueueCommand(queueId, key, receivedAtMs, { kind: 'LEAVE', ticketId });
}

/** Ends an active ticket (the booking is done), freeing its slot before activeSeconds run out. */
export function toCompleteCommand(
  queueId: string,
  ticketId: string,
  key: WriteKey,
  receivedAtMs: number,
): QueueCommand {
  return toQueueCommand(queueId, key, receivedAtMs, { kind: 'COMPLETE', ticketId });
}
