/**
 * The one rule of time for every Tally service. Two clocks meet in every record: the client's `at` (epoch
 * ms, as sent; the receipt time when it sent none) and the gateway's `receivedAtMs`. The client's clock is
 * not trusted to be right, only to run: it orders a client's own events (as sent, whatever its epoch: a clock
 * never set still runs forward from its boot) and places events in windows; the gateway's clock decides
 * presence and measures lateness.
 *
 * - `at` at or after 2100-01-01 is a unit mistake (µs, ns): the gateway refuses it as bad input (400).
 * - `at` before 2020-01-01 is a clock that was never set (devices boot at 1970, 1980 or 2000): no Tally
 *   event happened then, so the event is placed at its receipt time.
 * - `at` later than the receipt is a clock running ahead: the event is placed at its receipt time, so it
 *   cannot sit in a window (the last hour, the current minute) longer than it belongs there.
 * - Otherwise the event is placed at `at`; if that is later than a window allows, the record goes to the late
 *   topic for that window (lateness.ts).
 */
export const MAX_AT_MS = Date.UTC(2100, 0, 1);
export const EVENT_TIME_FLOOR_MS = Date.UTC(2020, 0, 1);

/** Where a record belongs in event time (windows, history minutes, newest-wins registers). */
export function judgedEventTime(atMs: number, receivedAtMs: number): number {
  if (atMs < EVENT_TIME_FLOOR_MS) return receivedAtMs;
  return Math.min(atMs, receivedAtMs);
}
