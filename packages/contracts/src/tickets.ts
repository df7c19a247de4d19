import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { TICKET_ID_PATTERN } from './params.js';
import type { WriteKey } from './write-ids.js';

/** What a join hands its client to read its ticket with: `ts_` and 43 base64url characters (256 bits). */
export const TICKET_SECRET_PATTERN = /^ts_[A-Za-z0-9_-]{43}$/;

/**
 * The ticket key outside production (the gateway's TICKET_KEY unset): public, so tickets it names are as
 * guessable as it is. Tools that stand in for a client on a local stack derive tickets with it.
 */
export const DEVELOPMENT_TICKET_KEY = 'tally-development-ticket-key-not-secret';

/** A ticket as its join names it: the id anyone may see, and the secret only its holder gets. */
export interface TicketCredentials {
  ticketId: string;
  ticketSecret: string;
}

/**
 * The ticket a join names, a function of the join's (queueId, source, seq) and the server's ticket key only: a
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
