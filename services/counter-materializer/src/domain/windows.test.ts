import { describe, expect, it } from 'vitest';
import { rankScores } from './rankings.js';
import { minuteOf, windowStart } from './windows.js';

describe('ranking windows', () => {
  const now = Date.UTC(2026, 10, 28, 12, 30, 15);
  it('slide by whole minutes: the current one and the ones before it', () => {
    expect(minuteOf(now)).toBe(Date.UTC(2026, 10, 28, 12, 30));
    expect(windowStart('1h', now)).toBe(Date.UTC(2026, 10, 28, 11, 31));
    expect(windowStart('24h', now)).toBe(Date.UTC(2026, 10, 27, 12, 31));
    expect(windowStart('all', now)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('ranking order', () => {
  it('is score descending, ties by itemId, positive scores only, limited', () => {
    const scores: [string, number][] = [
      ['b', 5],
      ['a', 5],
      ['c', 7],
      ['d', 0],
      ['e', -1],
      ['f', 1],
    ];
    expect(rankScores(scores, 3)).toEqual([
      { itemId: 'c', score: 7, rank: 1 },
      { itemId: 'a', score: 5, rank: 2 },
      { itemId: 'b', score: 5, rank: 3 },
    ]);
  });
});
