/**
 * How soon a ticket's holder should read it again: the ticket answer's `pollAfterSeconds`, whole seconds, or
 * null for "stop polling". Clients follow the server's interval (as Queue-it's client follows its server's),
 * so the admitter, not each client, decides how often a line of any length is read. Pure.
 *
 * - Waiting, the queue open (or paused): a tenth of the estimated wait, rounded, and 2 s to 30 s: far back in a
 *   long line a read every 30 s is plenty, near the front one every 2 s notices the admission soon after it.
 * - Waiting in the pre-queue (before `opensAt`): nothing moves before the opening, so the time until it (at
 *   least 1 s), and at most 30 s: the first read after the opening finds the line moving.
 * - Either way, never more than a third of the queue's `abandonSeconds` when it has one (and at least 1 s): a
 *   waiting holder not seen for abandonSeconds is dropped, and reading the ticket counts as being seen, so a
 *   client that follows the answer is seen three times per abandonSeconds and survives a lost read or two.
 *   This bound wins over the 2 s floor. A waiting ticket whose wait could not be worked out (null: its queue's
 *   settings were not read) is asked again after 2 s, since nothing then says how long would be safe.
 * - Active, with its expiry known: null. The answer already holds all a client needs until the admission ends:
 *   the token, valid until `expiresAt`, and `expiresAt` itself. An admission ends only then, which the client
 *   knows, or by a complete or a leave, which the site or the holder sends itself; another read would learn
 *   nothing, and every read of an active ticket signs a new token (an ES256 signature on the admitter). A
 *   client that wants to show the end reads once more after `expiresAt`. Active without a known expiry (the
 *   answer then carries no token): 2 s, to fetch the token.
 * - Ended (expired, left, completed, abandoned): null; nothing will change.
 */
import { phaseOf, type QueueSettings } from './outflow.js';
import type { TicketStatus } from './tickets.js';

/** The shortest interval told to a waiting ticket (unless abandonSeconds needs shorter). */
export const MIN_POLL_SECONDS = 2;
/** The longest interval told to any ticket. */
export const MAX_POLL_SECONDS = 30;
/** How much of the wait goes by between two reads of a waiting ticket. */
const WAIT_FRACTION = 10;

/** What a ticket's answer says, as its next read is worked out from it. */
export interface TicketPollView {
  status: TicketStatus;
  /** The answer's estimatedWaitSeconds: a number while it waits, null when it could not be worked out. */
  estimatedWaitSeconds: number | null;
  /** The settings of its queue the answer was worked out with; undefined when they were not read. */
  settings: QueueSettings | undefined;
  /** An active ticket's expiry, epoch ms; null when not known. */
  expiresAtMs: number | null;
  nowMs: number;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/** Seconds until the ticket should be read again, or null: nothing a read could tell will change. */
export function pollAfterSeconds(ticket: TicketPollView): number | null {
  const { status, settings, nowMs } = ticket;
  if (status === 'active') return ticket.expiresAtMs === null ? MIN_POLL_SECONDS : null;
  if (status !== 'waiting') return null;
  if (settings === undefined) return MIN_POLL_SECONDS;
  // a third of abandonSeconds, so that a holder who follows the answers is never dropped as unseen
  const seenWithin =
    settings.abandonSeconds === null ? MAX_POLL_SECONDS : Math.max(1, Math.floor(settings.abandonSeconds / 3));
  if (phaseOf(settings, nowMs) === 'pre-queue') {
    const untilOpening = Math.ceil((settings.opensAtMs! - nowMs) / 1000);
    return Math.min(clamp(untilOpening, 1, MAX_POLL_SECONDS), seenWithin);
  }
  if (ticket.estimatedWaitSeconds === null) return Math.min(MIN_POLL_SECONDS, seenWithin);
  const tenth = Math.round(ticket.estimatedWaitSeconds / WAIT_FRACTION);
  return Math.min(clamp(tenth, MIN_POLL_SECONDS, MAX_POLL_SECONDS), seenWithin);
}
