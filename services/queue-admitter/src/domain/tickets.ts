/**
 * The rule of queue-admitter, part two: what the commands of one queue do to its tickets, in the order they
 * reached the gateway (their partition order). Pure; the store loads the tickets a batch touches and writes
 * back what this returns. Who gets in is admission.ts.
 *
 * - JOIN: a new ticket waits, its place in line is its position in the partition (join order). A user holds at
 *   most one live (waiting or active) ticket per queue: a second join names the live one instead of queueing
 *   again. A join seen before (same ticket) changes nothing.
 * - LEAVE frees a waiting or active ticket at once; COMPLETE ends an active one at once. Anything else (a ticket
 *   already ended, unknown, or a COMPLETE of a waiting ticket) changes nothing.
 * - CONFIGURE sets capacity and activeSeconds for what is admitted from then on.
 */
import type { QueueSettings } from './admission.js';

export type TicketStatus = 'waiting' | 'active' | 'expired' | 'left' | 'completed';

export interface Ticket {
  ticketId: string;
  userId: string;
  status: TicketStatus;
  joinOrder: number;
  admittedAtMs: number | null;
  expiresAtMs: number | null;
}

export type QueueCommandToApply =
  | { kind: 'CONFIGURE'; capacity: number; activeSeconds: number }
  | { kind: 'JOIN'; ticketId: string; userId: string; joinOrder: number }
  | { kind: 'LEAVE' | 'COMPLETE'; ticketId: string };

export const DEFAULT_SETTINGS: QueueSettings = { capacity: 100, activeSeconds: 180 };

export const isLive = (status: TicketStatus) => status === 'waiting' || status === 'active';

export interface QueueState {
  settings: QueueSettings;
  /** The tickets the commands name, and the live ticket of each joining user. */
  tickets: Map<string, Ticket>;
  liveTicketOf: Map<string, string>;
}

export interface CommandDecision {
  settings: QueueSettings;
  /** Tickets created or changed, by id. */
  changed: Map<string, Ticket>;
  /** A join by a user who already holds a live ticket: the new ticket id names that one. */
  aliases: Map<string, string>;
  /** Tickets freed at once, with how (for the event topic). */
  ended: { ticket: Ticket; kind: 'LEFT' | 'COMPLETED' }[];
}

export function applyCommands(state: QueueState, commands: QueueCommandToApply[], nowMs: number): CommandDecision {
  let settings = state.settings;
  const tickets = new Map(state.tickets);
  const liveTicketOf = new Map(state.liveTicketOf);
  const changed = new Map<string, Ticket>();
  const aliases = new Map<string, string>();
  const ended: CommandDecision['ended'] = [];
  const put = (ticket: Ticket) => {
    tickets.set(ticket.ticketId, ticket);
    changed.set(ticket.ticketId, ticket);
  };

  for (const command of commands) {
    if (command.kind === 'CONFIGURE') {
      settings = { capacity: command.capacity, activeSeconds: command.activeSeconds };
      continue;
    }
    if (command.kind === 'JOIN') {
      if (tickets.has(command.ticketId) || aliases.has(command.ticketId)) continue;
      const live = liveTicketOf.get(command.userId);
      if (live !== undefined && isLive(tickets.get(live)?.status ?? 'expired')) {
        aliases.set(command.ticketId, live);
        continue;
      }
      put({ ticketId: command.ticketId, userId: command.userId, status: 'waiting', joinOrder: command.joinOrder, admittedAtMs: null, expiresAtMs: null });
      liveTicketOf.set(command.userId, command.ticketId);
      continue;
    }
    const ticket = tickets.get(command.ticketId);
    if (!ticket) continue;
    const leaves = command.kind === 'LEAVE' && isLive(ticket.status);
    const completes = command.kind === 'COMPLETE' && ticket.status === 'active';
    if (!leaves && !completes) continue;
    const after: Ticket = { ...ticket, status: leaves ? 'left' : 'completed', expiresAtMs: ticket.status === 'active' ? nowMs : ticket.expiresAtMs };
    put(after);
    ended.push({ ticket: after, kind: leaves ? 'LEFT' : 'COMPLETED' });
  }
  return { settings, changed, aliases, ended };
}
