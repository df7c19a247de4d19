/**
 * The rule of queue-admitter, part one: who is proposed for admission. Pure; the admission round hands it a
 * queue's active tickets and the head of its waiting line (in join order) as some state of the log shows them,
 * and produces what it decides as ADMIT and EXPIRE records to the queue's partition. Nothing changes until the
 * fold (tickets.ts) applies those records in partition order and checks them again against the state there.
 *
 * - An active ticket whose time is up expires and frees its slot; leaving or completing frees it at once
 *   (those arrive as commands, see tickets.ts).
 * - Free slots go to the waiting tickets in join order, first come first served: never more active tickets
 *   than the capacity, never one admitted ahead of an earlier one.
 */
export interface QueueSettings {
  capacity: number;
  activeSeconds: number;
}

export interface ActiveTicket {
  ticketId: string;
  expiresAtMs: number;
}

/** What a state of the log shows of one queue, for a decision. */
export interface AdmissionView {
  settings: QueueSettings;
  /** Tickets active in that state. */
  activeCount: number;
  /** Active tickets, at least every one whose time is up by the decision's time. */
  active: ActiveTicket[];
  /** The first waiting tickets in join order: at least as many as could be admitted, or all. */
  waitingHead: string[];
}

export interface AdmissionDecision {
  /** Active tickets whose time is up at the decision's time: an EXPIRE record. */
  expire: string[];
  /** The front of the waiting line, as many as the slots free once those expired: an ADMIT record. */
  admit: string[];
}

/** Tickets one decision record names at most (about 27 bytes each), well inside Kafka's 1 MB record limit. */
export const MAX_DECISION_TICKETS = 1000;

export function decideAdmissions(
  view: AdmissionView,
  nowMs: number,
  maxTickets = MAX_DECISION_TICKETS,
): AdmissionDecision {
  const expire = view.active
    .filter((t) => t.expiresAtMs <= nowMs)
    .slice(0, maxTickets)
    .map((t) => t.ticketId);
  const free = Math.max(0, view.settings.capacity - (view.activeCount - expire.length));
  return { expire, admit: view.waitingHead.slice(0, Math.min(free, maxTickets)) };
}

/** The admission rate is measured over the minute before the queue's latest record (its clockMs). */
export const RATE_WINDOW_MS = 60_000;

/** Admissions per second, from the admissions whose admittedAt falls in the rate window. */
export function admissionRate(admissionsInWindow: number): number {
  return admissionsInWindow / (RATE_WINDOW_MS / 1000);
}

/**
 * Seconds until a ticket `position` places from the front is admitted, at the rate admissions were observed
 * (per second over the recent past); undefined while nothing has been admitted to judge by.
 */
export function estimatedWaitSeconds(position: number, admissionsPerSecond: number): number | undefined {
  if (!(admissionsPerSecond > 0)) return undefined;
  return Math.ceil((position + 1) / admissionsPerSecond);
}
