/**
 * The rule of queue-admitter, part one: who is proposed for admission. Pure; the admission round hands it a
 * queue's active tickets and the head of its waiting line (in join order) as some state of the log shows them,
 * and produces what it decides as ADMIT and EXPIRE records to the queue's partition. Nothing changes until the
 * fold (tickets.ts) applies those records in partition order and checks them again against the state there.
 *
 * - An active ticket whose time is up expires and frees its slot; leaving or completing frees it at once
 *   (those arrive as commands, see tickets.ts).
 * - Free slots go to the waiting tickets in join order, first come first served: never more active tickets
 *   than the capacity, never one admitted ahead of an earlier one; never more in a minute than admitPerMinute
 *   allows (outflow.ts); nobody before the queue opens or while it is paused.
 * - A waiting ticket not seen (joined, or read by its holder) for abandonSeconds is abandoned, freeing its place
 *   for everyone behind; the clock starts at the opening, so nobody in the pre-queue is dropped for not
 *   watching a queue that was not moving.
 */
import { admitsAt, rateBudget, type QueueSettings } from './outflow.js';

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
  /** Admission times of the last minute or more, ascending (for admitPerMinute). */
  recentAdmissions: number[];
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
  if (!admitsAt(view.settings, nowMs)) return { expire, admit: [] };
  const free = Math.max(0, view.settings.capacity - (view.activeCount - expire.length));
  const allowed = Math.min(free, rateBudget(view.settings, view.recentAdmissions, nowMs), maxTickets);
  return { expire, admit: view.waitingHead.slice(0, allowed) };
}

/**
 * Waiting tickets last seen before this time (epoch ms) are to be abandoned at `nowMs`; null when the queue
 * drops nobody (no abandonSeconds, or fewer than abandonSeconds since it opened).
 */
export function abandonedBefore(settings: QueueSettings, nowMs: number): number | null {
  if (settings.abandonSeconds === null) return null;
  const cutoff = nowMs - settings.abandonSeconds * 1000;
  return settings.opensAtMs !== null && cutoff < settings.opensAtMs ? null : cutoff;
}
