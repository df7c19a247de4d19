import { describe, expect, it } from 'vitest';
import { COUNTER_NAME, METRIC_NAME, toCounterIncrementEvent, toLikeEvent, toViewEvent } from './item-event.js';

describe('an item request becomes an ItemEvent record', () => {
  const receivedAt = 1_700_000_000_000;

  it('a like names the item and the user and stamps the receipt time', () => {
    expect(
      toLikeEvent('item-1', { source: 'app-1', seq: 42, userId: 'u1', liked: true, at: receivedAt - 250 }, receivedAt),
    ).toEqual({
      source: 'app-1',
      seq: 42,
      itemId: 'item-1',
      kind: 'LIKE',
      userId: 'u1',
      sessionId: null,
      counter: null,
      by: 1,
      atMs: receivedAt - 250,
      receivedAtMs: receivedAt,
    });
  });

  it('liked: false takes the like back', () => {
    expect(toLikeEvent('i', { source: 'p', seq: 0, userId: 'u1', liked: false }, receivedAt)).toMatchObject({
      kind: 'UNLIKE',
      userId: 'u1',
      atMs: receivedAt,
    });
  });

  it('a view keeps whichever viewer it names, or none', () => {
    expect(toViewEvent('i', { source: 'p', seq: 1, userId: 'u1', sessionId: 's1' }, receivedAt)).toMatchObject({
      kind: 'VIEW',
      userId: 'u1',
      sessionId: 's1',
      counter: null,
      by: 1,
    });
    expect(toViewEvent('i', { source: 'p', seq: 2, sessionId: 's1' }, receivedAt)).toMatchObject({
      kind: 'VIEW',
      userId: null,
      sessionId: 's1',
    });
    expect(toViewEvent('i', { source: 'p', seq: 3 }, receivedAt)).toMatchObject({
      kind: 'VIEW',
      userId: null,
      sessionId: null,
      atMs: receivedAt,
    });
  });

  it('an increment names its counter and adds 1 unless told how much', () => {
    expect(toCounterIncrementEvent('i', 'bookings', { source: 'p', seq: 4 }, receivedAt)).toMatchObject({
      kind: 'INCREMENT',
      counter: 'bookings',
      by: 1,
      userId: null,
      sessionId: null,
    });
    expect(toCounterIncrementEvent('i', 'bookings', { source: 'p', seq: 5, by: 3 }, receivedAt)).toMatchObject({
      kind: 'INCREMENT',
      counter: 'bookings',
      by: 3,
    });
  });

  it('clamps a client time ahead of the receipt time to the receipt time', () => {
    expect(
      toLikeEvent('i', { source: 'p', seq: 6, userId: 'u', liked: true, at: receivedAt + 60_000 }, receivedAt),
    ).toMatchObject({ atMs: receivedAt, receivedAtMs: receivedAt });
    expect(toViewEvent('i', { source: 'p', seq: 7, at: receivedAt + 1 }, receivedAt).atMs).toBe(receivedAt);
    expect(toCounterIncrementEvent('i', 'c', { source: 'p', seq: 8, at: 0 }, receivedAt).atMs).toBe(0);
  });
});

describe('counter and metric names', () => {
  it('are lower-case identifiers of at most 64 characters', () => {
    for (const name of ['bookings', 'a', 'shares_7d', 'x'.repeat(64)]) {
      expect(COUNTER_NAME.test(name), name).toBe(true);
      expect(METRIC_NAME.test(name), name).toBe(true);
    }
    for (const name of ['', 'Bookings', '7days', '_x', 'a-b', 'a b', 'x'.repeat(65), 'likes\n']) {
      expect(COUNTER_NAME.test(name), name).toBe(false);
      expect(METRIC_NAME.test(name), name).toBe(false);
    }
  });

  it('likes and views are metrics but never counters', () => {
    for (const name of ['likes', 'views']) {
      expect(METRIC_NAME.test(name)).toBe(true);
      expect(COUNTER_NAME.test(name)).toBe(false);
    }
    for (const name of ['likes_today', 'view', 'likesx', 'my_views']) expect(COUNTER_NAME.test(name), name).toBe(true);
  });
});
