/**
 * Ranking windows. Contributions are kept per event minute; a window is the minutes from `windowStart` up to
 * now, so it slides a minute at a time and an event older than the window no longer counts.
 */
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

/** How long contributions must be kept for the longest sliding window (plus an hour of slack). */
export const MINUTES_RETENTION_MS = (windowMinutes['24h'] + 60) * MINUTE_MS;
