/**
 * The rule of queue-admitter, part two: the fold. What the records of a partition of `tally.queue.commands` do
 * to its queues, applied in partition order. Pure: a function of the state and the records only, time taken
 * from the records (a client command's receivedAtMs, a decision's atMs), never from a clock. So the same log
 * gives the same queues wherever and whenever it is applied: live, replayed, or rebuilt into an empty state.
 * The store loads the part of the state the records touch and writes back what this returns; who is proposed
 * for admission is admission.ts.
 *
 * - The fence: a record at or below `appliedThrough` (the last offset applied in the partition) was applied
 *   already and changes nothing, so a redelivery or a rewound consumer group re-applies nothing.
 * - JOIN: a new ticket waits, its place in line is its offset (join order). A join received before the queue's
 *   opensAt joins the pre-queue instead: its place is drawn from the queue's seed and its ticket id
 *   (preQueueOrder), ahead of every later join, so at the opening the pre-queue is in random order and arriving
 *   at 09:59:59.9 buys nothing over 09:00; the seed is in the CONFIGURE record, so a replay draws the same order. A user holds at most one live
 *   (waiting or active) ticket per queue: a second join names the live one instead of queueing again. A join
 *   seen before (same ticket) changes nothing. A join whose (source, seq) named another queue or user before
 *   never reaches the fold: it is a reused id, refused by the use case (join-writes.ts).
 * - LEAVE frees a waiting or active ticket at once; COMPLETE ends an active one at once. Anything else (a ticket
 *   already ended, unknown, or a COMPLETE of a waiting ticket) changes nothing.
 * - CONFIGURE replaces the settings (outflow.ts) for what is admitted from then on (admissions already made keep
 *   their expiry; a lower capacity only stops admissions until enough have ended) and counts a settings
 *   version. The pre-queue's seed is the first one a CONFIGURE carried; later ones keep it.
 * - ADMIT (a decision of the admitter): each listed ticket, in the listed order, is admitted only if it still
 *   waits and the queue has a free slot at this point of the log (active < capacity) and, with admitPerMinute,
 *   fewer than that many admissions in the minute before; it runs from the decision's atMs (or the previous
 *   admission's time, if later: admission times never go back) for the queue's activeSeconds at this point.
 *   Before opensAt or while paused, an ADMIT admits nobody. The order argument below needs every join to land
 *   behind the line, which a pre-queue join (a drawn place) does not; so an ADMIT whose view did not include
 *   the latest pre-queue join (basisOffset below it) is stale and changes nothing. A decision made from a state no later than
 *   that of an ADMIT already applied to the queue (its basisOffset is not above) is a repeat or a staler view
 *   and changes nothing.
 * - EXPIRE (a decision): each listed ticket expires only if it is active and its expiresAt <= the decision's
 *   atMs.
 * - ABANDON (a decision): each listed ticket that still waits is dropped (`abandoned`): its holder was not seen
 *   for abandonSeconds (the evidence is outside the log, in the read model; the decision records what was
 *   judged, so a replay drops the same tickets). An abandoned ticket is never admitted.
 * - Every admission that ends (completed, left, expired) updates the queue's observed hold, from which waits
 *   are estimated (outflow.ts).
 *
 * Why a stale or repeated decision (two admitters during a rebalance, a crash between producing a decision and
 * applying it, a rebuild) can never exceed the capacity or break first come, first served:
 * - capacity: the fold admits only while active < capacity, counted here at this point of the log, whatever
 *   the admitter saw; every admission is one slot, every end frees one. A decision can be too small, never
 *   too large.
 * - order: an ADMIT lists the front of the waiting line of some earlier state of the log, in join order. Since
 *   then the line has only lost tickets from inside (leaves, admissions) and gained them at its end (joins):
 *   a ticket never waits again once it stopped waiting, and a join is always behind every ticket already in
 *   line. So every ticket now ahead of a listed one was in line ahead of it then, and is listed too: the
 *   listed tickets that still wait are still the front of the line, in the same order, and admitting them in
 *   the listed order (stopping at the first that finds no slot) admits a prefix of the line.
 * - repeats: EXPIRE is idempotent by state (an expired ticket is never active again). A repeated ADMIT is
 *   skipped by its basis, so applying a decision twice is applying it once: otherwise a repeat applied after
 *   slots had freed would admit tickets its original could not, which is safe but not the same queue.
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_SETTINGS,
  admitsAt,
  nextObservedHold,
  rateBudget,
  RATE_WINDOW_MS,
  type QueueSettings,
} from './outflow.js';

export type TicketStatus = 'waiting' | 'active' | 'expired' | 'left' | 'completed' | 'abandoned';

export interface Ticket {
  ticketId: string;
  userId: string;
  status: TicketStatus;
  joinOrder: number;
  admittedAtMs: number | null;
  expiresAtMs: number | null;
}

/** A record of the commands topic as the fold takes it; `atMs` is the record's own time. */
export type QueueCommandToApply =
  | { kind: 'CONFIGURE'; settings: QueueSettings; preQueueSeed: string | null; atMs: number }
  | { kind: 'JOIN'; ticketId: string; userId: string; joinOrder: number; atMs: number }
  | { kind: 'LEAVE' | 'COMPLETE'; ticketId: string; atMs: number }
  | { kind: 'ADMIT'; ticketIds: string[]; atMs: number; basisOffset: number }
  | { kind: 'EXPIRE' | 'ABANDON'; ticketIds: string[]; atMs: number };

export interface LoggedCommand {
  offset: number;
  queueId: string;
  command: QueueCommandToApply;
  /** A client's JOIN: its write id (`formatWriteKey` of its source and seq), to tell a retry from a reused id (join-writes.ts). */
  writeId?: string;
}

export const isLive = (status: TicketStatus) => status === 'waiting' || status === 'active';

/**
 * One queue as the fold needs it. The counters are the whole queue's; the maps need to hold only what the
 * records name (the tickets they name, aliases resolved; the live ticket of each joining user; the aliases of
 * the ticket ids they name): nothing else is read.
 */
export interface QueueState {
  settings: QueueSettings;
  /** CONFIGUREs applied, ever. */
  settingsVersion: number;
  /** What the pre-queue's order is drawn from (null: no CONFIGURE carried one yet). */
  preQueueSeed: string | null;
  /** How long admissions were observed to last (moving mean; null: none ended yet). */
  observedHoldMs: number | null;
  /** Admission times of the minute before the latest admission, ascending (for admitPerMinute). */
  recentAdmissions: number[];
  /** The offset of the latest pre-queue join applied (-1: none): a decision must have seen it (see ADMIT). */
  preQueueThrough: number;
  /** Tickets active now (all of the queue's). */
  activeCount: number;
  /** Admissions applied, ever. */
  admittedTotal: number;
  /** The basisOffset of the last ADMIT applied (-1: none). */
  admittedThrough: number;
  /**
   * The latest time of a record that changed the queue (0: none): where the window the admission rate is
   * measured over ends. A repeat changes nothing, so it cannot move it either, whatever its time.
   */
  clockMs: number;
  tickets: Map<string, Ticket>;
  liveTicketOf: Map<string, string>;
  /** A second join's ticket id → the live ticket it names. */
  aliases: Map<string, string>;
}

export const emptyQueue = (): QueueState => ({
  settings: DEFAULT_SETTINGS,
  settingsVersion: 0,
  preQueueSeed: null,
  observedHoldMs: null,
  recentAdmissions: [],
  preQueueThrough: -1,
  activeCount: 0,
  admittedTotal: 0,
  admittedThrough: -1,
  clockMs: 0,
  tickets: new Map(),
  liveTicketOf: new Map(),
  aliases: new Map(),
});

export interface PartitionState {
  /** The last offset applied (-1: none). */
  appliedThrough: number;
  /** The queues the records name; a queue missing is a new one. */
  queues: Map<string, QueueState>;
}

export interface TicketEvent {
  kind: 'ADMITTED' | 'EXPIRED' | 'LEFT' | 'COMPLETED' | 'ABANDONED';
  ticket: Ticket;
  atMs: number;
}

/** What the records did to one queue. */
export interface QueueOutcome {
  state: QueueState;
  /** Tickets created or changed, by id, in the order they first changed (ends before a user's next join). */
  changed: Map<string, Ticket>;
  /** New aliases: a join by a user who already held a live ticket names that one. */
  aliases: Map<string, string>;
  events: TicketEvent[];
}

export interface Applied {
  appliedThrough: number;
  /** Per queue named by a record past the fence. */
  queues: Map<string, QueueOutcome>;
}

const copy = (q: QueueState): QueueState => ({
  ...q,
  tickets: new Map(q.tickets),
  liveTicketOf: new Map(q.liveTicketOf),
  aliases: new Map(q.aliases),
  recentAdmissions: [...q.recentAdmissions],
});

/** Pre-queue places sort before every offset (a join after the opening): below -2^52, in a random order. */
const PRE_QUEUE_BASE = -(2 ** 53) + 1;

/**
 * A pre-queue ticket's place: 52 bits of SHA-256 over the queue's seed and the ticket id, so the order is
 * uniform, fixed by the seed (a replay draws the same), and unknown to anyone without the seed. Ticket ids are
 * Tally's own and unguessable, so a client cannot pick a good one either.
 */
export function preQueueOrder(seed: string, ticketId: string): number {
  const digest = createHash('sha256').update(seed).update('\u0000').update(ticketId).digest();
  return PRE_QUEUE_BASE + digest.readUIntBE(0, 6) * 16 + (digest[6]! >> 4);
}

/** Whether a join received at `atMs` waits in the pre-queue of a queue with these settings. */
export const joinsPreQueue = (settings: QueueSettings, atMs: number) =>
  settings.opensAtMs !== null && atMs < settings.opensAtMs;

/** Applies records of one partition, in offset order, past the fence. */
export function applyRecords(state: PartitionState, records: LoggedCommand[]): Applied {
  let appliedThrough = state.appliedThrough;
  const queues = new Map<string, QueueOutcome>();
  for (const { offset, queueId, command } of records) {
    if (offset <= appliedThrough) continue;
    appliedThrough = offset;
    let outcome = queues.get(queueId);
    if (!outcome) {
      outcome = {
        state: copy(state.queues.get(queueId) ?? emptyQueue()),
        changed: new Map(),
        aliases: new Map(),
        events: [],
      };
      queues.set(queueId, outcome);
    }
    if (applyOne(outcome, offset, command)) outcome.state.clockMs = Math.max(outcome.state.clockMs, command.atMs);
  }
  return { appliedThrough, queues };
}

/** Applies one record to its queue; true if it changed anything. */
function applyOne(outcome: QueueOutcome, offset: number, command: QueueCommandToApply): boolean {
  const q = outcome.state;
  const put = (ticket: Ticket) => {
    q.tickets.set(ticket.ticketId, ticket);
    outcome.changed.set(ticket.ticketId, ticket);
  };

  switch (command.kind) {
    case 'CONFIGURE':
      q.settings = command.settings;
      q.settingsVersion += 1;
      q.preQueueSeed ??= command.preQueueSeed;
      return true;
    case 'JOIN': {
      if (q.tickets.has(command.ticketId) || q.aliases.has(command.ticketId)) return false;
      const live = q.liveTicketOf.get(command.userId);
      if (live !== undefined && isLive(q.tickets.get(live)?.status ?? 'expired')) {
        q.aliases.set(command.ticketId, live);
        outcome.aliases.set(command.ticketId, live);
        return true;
      }
      const preQueue = joinsPreQueue(q.settings, command.atMs);
      if (preQueue) q.preQueueThrough = offset;
      put({
        ticketId: command.ticketId,
        userId: command.userId,
        status: 'waiting',
        joinOrder: preQueue ? preQueueOrder(q.preQueueSeed ?? '', command.ticketId) : command.joinOrder,
        admittedAtMs: null,
        expiresAtMs: null,
      });
      q.liveTicketOf.set(command.userId, command.ticketId);
      return true;
    }
    case 'LEAVE':
    case 'COMPLETE': {
      const ticket = q.tickets.get(q.aliases.get(command.ticketId) ?? command.ticketId);
      if (!ticket) return false;
      const leaves = command.kind === 'LEAVE' && isLive(ticket.status);
      const completes = command.kind === 'COMPLETE' && ticket.status === 'active';
      if (!leaves && !completes) return false;
      const wasActive = ticket.status === 'active';
      // an active ticket's admission ends now (never before it began, whatever the gateway's clock said)
      const after: Ticket = {
        ...ticket,
        status: leaves ? 'left' : 'completed',
        expiresAtMs: wasActive ? Math.max(command.atMs, ticket.admittedAtMs ?? command.atMs) : ticket.expiresAtMs,
      };
      if (wasActive) endAdmission(q, after);
      put(after);
      outcome.events.push({ kind: leaves ? 'LEFT' : 'COMPLETED', ticket: after, atMs: command.atMs });
      return true;
    }
    case 'ADMIT': {
      // a view can only hold records before the decision itself; one no later than an ADMIT applied is a repeat
      if (command.basisOffset >= offset || command.basisOffset <= q.admittedThrough) return false;
      // a pre-queue join takes a drawn place, maybe ahead of the listed tickets: a decision that did not see it
      // may not be the front of the line any more; the next round's will be
      if (command.basisOffset < q.preQueueThrough) return false;
      // admission times never go back, so the minute before each one holds every admission that could share a
      // 60 s window with it
      const atMs = Math.max(command.atMs, q.recentAdmissions.at(-1) ?? command.atMs);
      if (!admitsAt(q.settings, atMs)) return false;
      q.admittedThrough = command.basisOffset;
      let budget = rateBudget(q.settings, q.recentAdmissions, atMs);
      for (const ticketId of command.ticketIds) {
        const ticket = q.tickets.get(ticketId);
        if (ticket?.status !== 'waiting') continue;
        if (q.activeCount >= q.settings.capacity || budget <= 0) break;
        const after: Ticket = {
          ...ticket,
          status: 'active',
          admittedAtMs: atMs,
          expiresAtMs: atMs + q.settings.activeSeconds * 1000,
        };
        q.activeCount += 1;
        q.admittedTotal += 1;
        budget -= 1;
        q.recentAdmissions.push(atMs);
        put(after);
        outcome.events.push({ kind: 'ADMITTED', ticket: after, atMs });
      }
      q.recentAdmissions = q.recentAdmissions.filter((t) => t > atMs - RATE_WINDOW_MS);
      return true;
    }
    case 'ABANDON': {
      let abandoned = false;
      for (const ticketId of command.ticketIds) {
        const ticket = q.tickets.get(ticketId);
        if (ticket?.status !== 'waiting') continue;
        const after: Ticket = { ...ticket, status: 'abandoned' };
        put(after);
        outcome.events.push({ kind: 'ABANDONED', ticket: after, atMs: command.atMs });
        abandoned = true;
      }
      return abandoned;
    }
    case 'EXPIRE': {
      let expired = false;
      for (const ticketId of command.ticketIds) {
        const ticket = q.tickets.get(ticketId);
        if (ticket?.status !== 'active' || ticket.expiresAtMs === null || ticket.expiresAtMs > command.atMs) continue;
        const after: Ticket = { ...ticket, status: 'expired' };
        endAdmission(q, after);
        put(after);
        outcome.events.push({ kind: 'EXPIRED', ticket: after, atMs: command.atMs });
        expired = true;
      }
      return expired;
    }
  }
}

/** An admission ended (`ended` is the ticket after it): its slot is free, and how long it lasted is observed. */
function endAdmission(q: QueueState, ended: Ticket): void {
  q.activeCount -= 1;
  if (ended.admittedAtMs !== null && ended.expiresAtMs !== null)
    // the first admissions to end are the shortest: starting the mean at activeSeconds keeps it from
    // promising the whole line a turn as short as the first completion's
    q.observedHoldMs = nextObservedHold(
      q.observedHoldMs ?? q.settings.activeSeconds * 1000,
      ended.expiresAtMs - ended.admittedAtMs,
    );
}
