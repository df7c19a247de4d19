/**
 * Ranking windows. Contributions are kept per event minute; a window is the minutes from `windowStart` up to
 * now, so it slides a minute at a time and an event older than the window no longer counts.
 *
 * Allowed lateness: an event belongs to a sliding window until its minute slides out (its minute plus the
 * window's length); one received later than that plus the window's grace is late for it, judged by the
 * gateway's receipt time alone (@tally/event-time), so a replay sets aside the same events. A late event still
 * counts in the all-time totals; it is written to the late topic for each window it missed, and one late even
 * for 24h leaves no per-minute row behind (no window could ever read it).
 */
import { describeLateness, lateness } from '@tally/event-time';

export type RankingWindow = '1h' | '24h' | 'all';

export const RANKING_WINDOWS: readonly RankingWindow[] = ['1h', '24h', 'all'];
export const SLIDING_WINDOWS = ['1h', '24h'] as const;

const MINUTE_MS = 60_000;
const windowMinutes = { '1h': 60, '24h': 24 * 60 } as const;

export const minuteOf = (atMs: number) => Math.floor(atMs / MINUTE_MS) * MINUTE_MS;

/** The first minute inside the window at `nowMs`: the current minute and the 59 (or 1439) before it. */
export function windowStart(window: RankingWindow, nowMs: number): number {
  if (window === 'all') return Number.NEGATIVE_INFINITY;
  return minuteOf(nowMs) - (windowMinutes[window] - 1) * MINUTE_MS;
}

export type SlidingWindow = (typeof SLIDING_WINDOWS)[number];

/** Allowed lateness per sliding window, ms. */
export type RankingGraces = Record<SlidingWindow, number>;

/** The name of a ranking window in the late topic. */
export const lateWindowName = (window: SlidingWindow) => `counters.ranking.${window}`;

/** When an event at `eventTimeMs` slides out of `window`: the end of its minute's time in the window. */
export const windowEndOf = (window: SlidingWindow, eventTimeMs: number) =>
  minuteOf(eventTimeMs) + windowMinutes[window] * MINUTE_MS;

/** The sliding windows an event came too late for, each with why; empty when on time for all. */
export function lateWindows(
  eventTimeMs: number,
  receivedAtMs: number,
  graces: RankingGraces,
): { window: SlidingWindow; reason: string }[] {
  return SLIDING_WINDOWS.flatMap((window) => {
    const end = windowEndOf(window, eventTimeMs);
    return lateness(end, receivedAtMs, graces[window]).late
      ? [{ window, reason: describeLateness(lateWindowName(window), eventTimeMs, end, receivedAtMs, graces[window]) }]
      : [];
  });
}

/** How long contributions must be kept: the longest sliding window, its grace, and an hour of slack. */
export const minutesRetentionMs = (graces: RankingGraces) =>
  windowMinutes['24h'] * MINUTE_MS + graces['24h'] + 60 * MINUTE_MS;
