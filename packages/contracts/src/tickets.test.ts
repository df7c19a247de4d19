import { describe, expect, it } from 'vitest';
import { TICKET_ID_PATTERN } from './params.js';
import { DEVELOPMENT_TICKET_KEY, TICKET_SECRET_PATTERN, opensTicket, ticketFor } from './tickets.js';

describe('a queue ticket', () => {
  const join = { source: 'shop', seq: 7 };

  it('is named by the join and the key alone, so a retried join names the same ticket', () => {
    const ticket = ticketFor(DEVELOPMENT_TICKET_KEY, 'q', join);
    expect(ticketFor(DEVELOPMENT_TICKET_KEY, 'q', { ...join })).toEqual(ticket);
    expect(TICKET_ID_PATTERN.test(ticket.ticketId)).toBe(true);
    expect(TICKET_SECRET_PATTERN.test(ticket.ticketSecret)).toBe(true);
    expect(ticketFor(DEVELOPMENT_TICKET_KEY, 'q', { ...join, seq: 8 }).ticketId).not.toBe(ticket.ticketId);
    expect(ticketFor(DEVELOPMENT_TICKET_KEY, 'other', join).ticketId).not.toBe(ticket.ticketId);
    expect(ticketFor('another-key-0123456789abcdef0123', 'q', join).ticketId).not.toBe(ticket.ticketId);
  });

  it('is opened by its own secret only, in its own queue', () => {
    const { ticketId, ticketSecret } = ticketFor(DEVELOPMENT_TICKET_KEY, 'q', join);
    expect(opensTicket(ticketSecret, 'q', ticketId)).toBe(true);
    expect(opensTicket(ticketSecret, 'other', ticketId)).toBe(false);
    expect(opensTicket(ticketFor(DEVELOPMENT_TICKET_KEY, 'q', { ...join, seq: 8 }).ticketSecret, 'q', ticketId)).toBe(
      false,
    );
    expect(opensTicket('ts_short', 'q', ticketId)).toBe(false);
  });
});
