/**
 * The rule of queue-admitter, part one: who gets in. Pure; the store hands it a queue's active tickets and the
 * head of its waiting line (in join order), and writes back what it decides in one transaction.
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

export interface Admission {
  ticketId: string;
  admittedAtMs: number;
  expiresAtMs: number;
}

export interface TickDecision {
  expired: string[];
  admitted: Admission[];
}

/** `waitingHead` must be the first waiting tickets in join order; at least `capacity` of them, or all. */
export function admissionTick(active: ActiveTicket[], waitingHead: string[], settings: QueueSettings, nowMs: number): TickDecision {
  const expired = active.filter((t) => t.expiresAtMs <= nowMs).map((t) => t.ticketId);
  const stillActive = active.length - expired.length;
  const free = Math.max(0, settings.capacity - stillActive);
  const admitted = waitingHead.slice(0, free).map((ticketId) => ({ ticketId, admittedAtMs: nowMs, expiresAtMs: nowMs + settings.activeSeconds * 1000 }));
  return { expired, admitted };
}

/**
 * Seconds until a ticket `position` places from the front is admitted, at the rate admissions were observed
 * (per second over the recent past); undefined while nothing has been admitted to judge by.
 */
export function estimatedWaitSeconds(position: number, admissionsPerSecond: number): number | undefined {
  if (!(admissionsPerSecond > 0)) return undefined;
  return Math.ceil((position + 1) / admissionsPerSecond);
}
