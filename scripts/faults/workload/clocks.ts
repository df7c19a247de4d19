/**
 * Devices' clocks, and what the services make of a time a client sends (@tally/event-time, docs/ARCHITECTURE.md): the
 * client's `at` orders its own events and places them in windows, the gateway's receipt time decides presence
 * and lateness. A client never knows its write's receipt time exactly, only that it lies between the first
 * attempt leaving and the accepting answer coming back ([firstSentAtMs, acceptedAtMs] of the write): every
 * time judged here is such an interval, a point when the judgement does not depend on the receipt.
 */
import { EVENT_TIME_FLOOR_MS } from '@tally/event-time';
import type { WriteTiming } from './sources.js';

export type ClockName = 'right' | 'behind' | 'ahead' | 'unset';

export interface Clock {
  name: ClockName;
  /** What the device's clock reads at `realMs` (this machine's clock, the gateway's). */
  at(realMs: number): number;
}

export const RIGHT: Clock = { name: 'right', at: (realMs) => realMs };
export const CLOCK_BEHIND_MS = 60_000;
export const CLOCK_AHEAD_MS = 45_000;
export const behind: Clock = { name: 'behind', at: (realMs) => realMs - CLOCK_BEHIND_MS };
export const ahead: Clock = { name: 'ahead', at: (realMs) => realMs + CLOCK_AHEAD_MS };

/** A clock never set: it counts from 1970-01-01 plus an hour from when the device booted (`bootMs`). */
export const unset = (bootMs: number): Clock => ({ name: 'unset', at: (realMs) => 3_600_000 + (realMs - bootMs) });

/** A time known to lie in [from, to] (ms); `to` is Infinity while the write carrying it is not accepted yet. */
export interface Bounds {
  from: number;
  to: number;
}

/** A clock never set (before 2020) has no place in time: the services use the receipt time instead. */
export const isUnset = (atMs: number) => atMs < EVENT_TIME_FLOOR_MS;

/**
 * The event time the services judge for `at` (@tally/event-time's judgedEventTime: `at`, but never after the
 * receipt; the receipt for a clock never set). Before the write is accepted (`timing` undefined), what is known
 * when it is made at `madeAtMs`: the receipt comes after that.
 */
export function eventTimeBounds(atMs: number, madeAtMs: number, timing?: WriteTiming): Bounds {
  const receipt: Bounds = timing
    ? { from: timing.firstSentAtMs, to: timing.acceptedAtMs }
    : { from: madeAtMs, to: Number.POSITIVE_INFINITY };
  if (isUnset(atMs)) return receipt;
  return { from: Math.min(atMs, receipt.from), to: Math.min(atMs, receipt.to) };
}

/** How long after `at` the write was received, as bounds (the presence rule's clock tolerance is judged on it). */
export function receiptLagBounds(atMs: number, timing: WriteTiming): Bounds {
  return { from: timing.firstSentAtMs - atMs, to: timing.acceptedAtMs - atMs };
}
