import { describe, expect, it } from 'vitest';
import type { ItemEvent, ItemEventKind } from '@tally/schemas';
import { expectedCounts, mismatches } from './like-counts.js';

const T0 = Date.UTC(2026, 0, 1);

function event(source: string, seq: number, kind: ItemEventKind, userId: string | null, atMs = T0 + seq): ItemEvent {
  return {
    source,
    seq,
    itemId: 'a',
    kind,
    userId,
    sessionId: null,
    counter: null,
    by: 1,
    atMs,
    receivedAtMs: atMs,
  };
}

describe('expectedCounts', () => {
  it('counts a write sent twice once', () => {
    const like = event('u1', 1, 'LIKE', 'u1');
    expect(expectedCounts([like, like]).get('a')).toEqual({ likes: 1, views: 0 });
  });

  it('keeps one like register per user: a second like adds nothing, an unlike of nothing removes nothing', () => {
    const counts = expectedCounts([
      event('u1', 1, 'LIKE', 'u1'),
      event('u1', 2, 'LIKE', 'u1'),
      event('u2', 1, 'LIKE', 'u2'),
      event('u1', 3, 'UNLIKE', 'u1'),
      event('u3', 1, 'UNLIKE', 'u3'),
    ]);
    expect(counts.get('a')).toEqual({ likes: 1, views: 0 });
  });

  it('lets the newest event win: an older unlike arriving later changes nothing, equal times go by position', () => {
    expect(expectedCounts([event('u1', 2, 'LIKE', 'u1'), event('u1', 1, 'UNLIKE', 'u1')]).get('a')!.likes).toBe(1);
    const sameTime = [event('u1', 1, 'LIKE', 'u1', T0), event('u1', 2, 'UNLIKE', 'u1', T0)];
    expect(expectedCounts(sameTime).get('a')!.likes).toBe(0);
  });

  it('counts views, and no like without a user', () => {
    const counts = expectedCounts([
      event('s', 1, 'VIEW', null),
      event('s', 2, 'VIEW', 'u'),
      event('s', 3, 'LIKE', null),
    ]);
    expect(counts.get('a')).toEqual({ likes: 0, views: 2 });
  });
});

describe('mismatches', () => {
  it('names the items that differ, an item missing on one side counting zero there', () => {
    const expected = new Map([
      ['a', { likes: 2, views: 0 }],
      ['b', { likes: 0, views: 0 }],
      ['c', { likes: 1, views: 0 }],
    ]);
    const actual = new Map([
      ['a', { likes: 2, views: 0 }],
      ['c', { likes: 0, views: 0 }],
      ['d', { likes: 0, views: 1 }],
    ]);
    expect(mismatches(expected, actual)).toEqual(['c', 'd']);
  });
});
