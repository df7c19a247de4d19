import { describe, expect, it } from 'vitest';
import { foldMinutes, minuteOf, validateHistoryQuery } from './history.js';

describe('foldMinutes', () => {
  it('folds a batch into one bucket per stream and minute', () => {
    const buckets = foldMinutes(
      [
        { streamId: 'a', sessionId: 's1', eventTimeMs: 60_000 },
        { streamId: 'a', sessionId: 's1', eventTimeMs: 65_000 },
        { streamId: 'a', sessionId: 's2', eventTimeMs: 119_999 },
        { streamId: 'a', sessionId: 's1', eventTimeMs: 120_000 },
        { streamId: 'b', sessionId: 's9', eventTimeMs: 61_000 },
      ],
      new Map([['a', 2]]),
      125_000,
    );
    const view = buckets.map((b) => [b.streamId, b.minuteMs, b.heartbeats, [...b.sessions].sort(), b.peakConcurrent]);
    expect(view).toEqual([
      ['a', 60_000, 3, ['s1', 's2'], 0],
      ['a', 120_000, 1, ['s1'], 2],
      ['b', 60_000, 1, ['s9'], 0],
    ]);
  });

  it('bounds history reads', () => {
    expect(minuteOf(119_999)).toBe(60_000);
    expect(validateHistoryQuery({ fromMs: 0, toMs: 3_600_000, granularity: 'minute' })).toBeUndefined();
    expect(validateHistoryQuery({ fromMs: 5, toMs: 5, granularity: 'minute' })).toMatch(/before/);
    expect(validateHistoryQuery({ fromMs: 0, toMs: 10 * 86_400_000, granularity: 'minute' })).toMatch(/at most 1440 minute/);
  });
});
