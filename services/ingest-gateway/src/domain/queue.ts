import { randomBytes } from 'node:crypto';
import { NO_QUEUE_COMMAND_DETAILS, type QueueCommandDetails, type WriteKey } from '@tally/contracts';
import type { QueueCommand } from '@tally/schemas';

/** Seed 002 runs 100 active at once; far more is a typo, and the bound keeps the admitter's active set small. */
export const MAX_CAPACITY = 100_000;
/** A day: an admission lasting longer is not a waiting-room slot any more. */
export const MAX_ACTIVE_SECONDS = 86_400;
/** Ten thousand a second: beyond that a waiting room protects nothing. */
export const MAX_ADMIT_PER_MINUTE = 600_000;
/** A visitor not seen for this long is gone; less than this would drop people reloading a slow page. */
export const MIN_ABANDON_SECONDS = 10;
export const MAX_ABANDON_SECONDS = 86_400;
/**
 * How far in the past an opensAt may be: a little (a clock behind, or an opening set after the fact: the queue
 * is simply open), not by years (a unit or a year typed wrong); and at most a year ahead.
 */
export const OPENS_AT_MAX_PAST_MS = 86_400_000;
export const OPENS_AT_MAX_AHEAD_MS = 366 * 86_400_000;

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

/** The JSON body of `PUT /v1/queues/{queueId}`, once validated: a PUT, so what it leaves out is unset. */
export interface ConfigureRequest {
  capacity: number;
  activeSeconds: number;
  admitPerMinute?: number;
  /** Epoch ms. */
  opensAt?: number;
  abandonSeconds?: number;
  paused?: boolean;
}

/** What the schema cannot say of a configure request: opensAt against the time it was received. */
export function configureProblems(
  request: ConfigureRequest,
  receivedAtMs: number,
): { field: string; message: string }[] {
  const { opensAt } = request;
  if (opensAt === undefined) return [];
  if (opensAt < receivedAtMs - OPENS_AT_MAX_PAST_MS)
    return [{ field: 'body.opensAt', message: 'must not be more than a day in the past (epoch ms)' }];
  if (opensAt > receivedAtMs + OPENS_AT_MAX_AHEAD_MS)
    return [{ field: 'body.opensAt', message: 'must be within a year from now (epoch ms)' }];
  return [];
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
 * What a client may ask for. ADMIT, EXPIRE and ABANDON are the admitter's decisions, written by queue-admitter alone: the
 * gateway never builds one, so no client can admit itself.
 */
export type ClientQueueCommandKind = Exclude<QueueCommand['kind'], 'ADMIT' | 'EXPIRE' | 'ABANDON'>;

type KindAndDetails = { kind: ClientQueueCommandKind } & Partial<QueueCommandDetails>;

function toQueueCommand(queueId: string, key: WriteKey, receivedAtMs: number, details: KindAndDetails): QueueCommand {
  return { ...NO_QUEUE_COMMAND_DETAILS, source: key.source, seq: key.seq, queueId, receivedAtMs, ...details };
}

/**
 * Replaces the queue's settings for what the admitter admits from then on; the last one wins. It carries a
 * fresh random seed: the first a queue gets draws its pre-queue's order (later ones are kept in the log but not
 * used), unknown to clients, reproducible by a replay.
 */
export function toConfigureCommand(
  queueId: string,
  request: ConfigureRequest,
  key: WriteKey,
  receivedAtMs: number,
  preQueueSeed = randomBytes(16).toString('hex'),
): QueueCommand {
  return toQueueCommand(queueId, key, receivedAtMs, {
    kind: 'CONFIGURE',
    capacity: request.capacity,
    activeSeconds: request.activeSeconds,
    admitPerMinute: request.admitPerMinute ?? null,
    opensAtMs: request.opensAt ?? null,
    abandonSeconds: request.abandonSeconds ?? null,
    paused: request.paused ?? false,
    preQueueSeed,
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
