import type { WriteKey } from '@tally/contracts';
import type { QueueCommand } from '@tally/schemas';

/** Seed 002 runs 100 active at once; far more is a typo, and the bound keeps the admitter's active set small. */
export const MAX_CAPACITY = 100_000;
/** A day: an admission lasting longer is not a waiting-room slot any more. */
export const MAX_ACTIVE_SECONDS = 86_400;

// a ticket's id and secret, and an admission token's shape, are the contract's: the admitter and local tools share them
export {
  ADMISSION_TOKEN_PATTERN,
  MAX_ADMISSION_TOKEN_LENGTH,
  TICKET_ID_PATTERN,
  TICKET_SECRET_PATTERN,
  opensTicket,
  ticketFor,
  type TicketCredentials,
} from '@tally/contracts';

/** The JSON body of `PUT /v1/queues/{queueId}`, once validated. */
export interface ConfigureRequest {
  capacity: number;
  activeSeconds: number;
}

/** The JSON body of `POST /v1/queues/{queueId}/tickets`, once validated. */
export interface JoinRequest extends WriteKey {
  userId: string;
}

/** One item of `POST /v1/queues/tickets/batch`: a join that names its queue. */
export interface BatchJoinItem extends JoinRequest {
  queueId: string;
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
