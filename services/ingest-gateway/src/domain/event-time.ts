/**
 * When a write happened. Clients may say (`at`, epoch ms); their clocks are not trusted to be right, only sane:
 * anything at or after 2100-01-01 is a unit mistake (µs, ns) and is refused as bad input. How services place
 * an accepted `at` in time (a clock never set, a clock ahead) is @tally/event-time's rule, the same for all.
 */
export { MAX_AT_MS } from '@tally/event-time';

/** The client's `at` when it sent one, else the time we received the write. */
export function eventTime(at: number | undefined, receivedAtMs: number): number {
  return at ?? receivedAtMs;
}

/**
 * The same, but never later than the receipt time: a client clock running ahead would otherwise keep its
 * event inside a time window (the 1h ranking) for longer than it belongs there. Clamped once, here, so every
 * consumer and every replay sees the same time.
 */
export function eventTimeUpToReceipt(at: number | undefined, receivedAtMs: number): number {
  return Math.min(eventTime(at, receivedAtMs), receivedAtMs);
}
