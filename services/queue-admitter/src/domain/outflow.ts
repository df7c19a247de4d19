/**
 * The rule of queue-admitter, part three: how fast the line moves, and how long a waiting ticket will wait.
 * Pure: functions of a queue's settings and what the log shows of it, time passed in.
 *
 * - Outflow is the tighter of two bounds: at most `capacity` tickets active at once, and, when
 *   `admitPerMinute` is set, at most that many admissions in any 60 s. The second is checked against the
 *   admission times of the minute before, which are kept monotone (an admission is never timed before the one
 *   before it, whatever the admitters' clocks said), so no window of 60 s can hold more, wherever it starts.
 * - The estimate of a wait is when the ticket's slot comes free, under the configured outflow and what was
 *   observed: the active tickets free their slots in expiry order, each slot then serves one ticket per
 *   observed hold (how long admissions actually lasted: completions free slots early), and the rate bound
 *   spaces admissions 60 / admitPerMinute s apart. It needs no admissions to have happened (a fresh queue has
 *   a number too), and it is worked out at read time from the state then, so it moves with the line.
 */

/** A queue's settings, as an operator set them (PUT /v1/queues/{queueId}). */
export interface QueueSettings {
  /** The most tickets active at once. */
  capacity: number;
  /** How long an admission lasts, at most. */
  activeSeconds: number;
  /** The most admissions in any 60 s (null: the capacity alone bounds outflow). */
  admitPerMinute: number | null;
  /** Joins received before this time (epoch ms) wait in the pre-queue and are put in random order; null: none. */
  opensAtMs: number | null;
  /** A waiting ticket not seen for this long is dropped (`abandoned`); null: never. */
  abandonSeconds: number | null;
  /** Admit nobody; the line keeps its order and keeps taking joins. */
  paused: boolean;
}

export const DEFAULT_SETTINGS: QueueSettings = {
  capacity: 100,
  activeSeconds: 180,
  admitPerMinute: null,
  opensAtMs: null,
  abandonSeconds: null,
  paused: false,
};

/** What a waiting room shows its visitors: before opening, open, or paused by its operator. */
export type QueuePhase = 'pre-queue' | 'open' | 'paused';

/** The minute admitPerMinute counts over. */
export const RATE_WINDOW_MS = 60_000;

export function phaseOf(settings: QueueSettings, nowMs: number): QueuePhase {
  if (settings.opensAtMs !== null && nowMs < settings.opensAtMs) return 'pre-queue';
  return settings.paused ? 'paused' : 'open';
}

/** Whether admissions may happen at `atMs`: the queue opened and is not paused. */
export const admitsAt = (settings: QueueSettings, atMs: number) => phaseOf(settings, atMs) === 'open';

/**
 * How many more admissions the rate bound allows at `atMs` (Infinity without one), given the admission times
 * of the queue's last minute or more, ascending and none after `atMs`.
 */
export function rateBudget(settings: QueueSettings, recentAdmissions: readonly number[], atMs: number): number {
  if (settings.admitPerMinute === null) return Infinity;
  const since = atMs - RATE_WINDOW_MS;
  let inWindow = 0;
  for (let i = recentAdmissions.length - 1; i >= 0 && recentAdmissions[i]! > since; i--) inWindow++;
  return Math.max(0, settings.admitPerMinute - inWindow);
}

/** Admissions per minute the settings allow at most when the line is long: the tighter of the two bounds. */
export function outflowPerMinute(settings: QueueSettings, observedHoldMs: number | null): number {
  const holdMs = holdOf(settings, observedHoldMs);
  const bySlots = (settings.capacity * RATE_WINDOW_MS) / holdMs;
  return settings.admitPerMinute === null ? bySlots : Math.min(bySlots, settings.admitPerMinute);
}

/** How long one admission holds its slot: as observed, never beyond activeSeconds; activeSeconds before any. */
export function holdOf(settings: QueueSettings, observedHoldMs: number | null): number {
  const full = settings.activeSeconds * 1000;
  return observedHoldMs === null || !(observedHoldMs > 0) ? full : Math.min(full, observedHoldMs);
}

/**
 * The observed hold after one more admission ended after `heldMs`: a moving mean over about the last 20, so it
 * follows a sale whose users start completing faster or slower.
 */
export function nextObservedHold(observedHoldMs: number, heldMs: number): number {
  return observedHoldMs + (Math.max(0, heldMs) - observedHoldMs) / 20;
}

/** What a wait estimate is worked out from: the queue as its read model shows it at `nowMs`. */
export interface LineView {
  settings: QueueSettings;
  observedHoldMs: number | null;
  activeCount: number;
  /**
   * The expiry (ms) of the active ticket whose slot this ticket gets (the slotIndex-th soonest), or null when it
   * gets a slot that is free now.
   */
  slotExpiresAtMs: number | null;
  /** Admissions in the last minute (for the rate bound). */
  admittedLastMinute: number;
  nowMs: number;
  /** How long a decision takes to be made and applied: added once per turn of the slots. */
  roundMs: number;
}

/**
 * The slots as they next come free: those free now first, then the active tickets' in expiry order; the ticket
 * `position` places from the front is served by slot `position mod capacity`, in turn `position div capacity`.
 * This is which active ticket's expiry (0: the soonest) frees that slot, or null for a slot free now. With
 * more active than the capacity (it was lowered), the first expiries free no slot.
 */
export function slotIndex(settings: QueueSettings, activeCount: number, position: number): number | null {
  const k = (position % settings.capacity) + activeCount - settings.capacity;
  return k >= 0 ? k : null;
}

/**
 * Seconds until the ticket `position` places from the front is admitted (0: in the next round). Before the
 * queue opens the line starts moving at its opening, with every slot free then.
 */
export function estimatedWaitSeconds(line: LineView, position: number): number {
  const { settings, nowMs, roundMs } = line;
  const startMs = Math.max(nowMs, settings.opensAtMs ?? nowMs);
  const holdMs = holdOf(settings, line.observedHoldMs);
  const turns = Math.floor(position / settings.capacity);
  // an active ticket frees its slot at its expiry, or earlier when admissions are observed to end early
  const freeMs =
    line.slotExpiresAtMs === null
      ? startMs
      : Math.max(startMs, line.slotExpiresAtMs - (settings.activeSeconds * 1000 - holdMs));
  const slotMs = freeMs + turns * holdMs + (turns + 1) * roundMs;
  let rateMs = startMs;
  if (settings.admitPerMinute !== null) {
    const allowedNow = Math.max(0, settings.admitPerMinute - line.admittedLastMinute);
    const spacingMs = RATE_WINDOW_MS / settings.admitPerMinute;
    rateMs = startMs + Math.max(0, position + 1 - allowedNow) * spacingMs + roundMs;
  }
  return Math.max(0, Math.ceil((Math.max(slotMs, rateMs) - nowMs) / 1000));
}
