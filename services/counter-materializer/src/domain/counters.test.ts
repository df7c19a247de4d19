import { describe, expect, it } from 'vitest';
import { decide, isNewer, refusal, registerKey, type ItemEventToApply, type LikeRegister } from './counters.js';

let offset = 0;
const event = (change: Partial<ItemEventToApply>): ItemEventToApply => ({
  itemId: 'item',
  kind: 'LIKE',
  userId: 'u1',
  sessionId: null,
  counter: null,
  by: 1,
  eventTimeMs: 60_000,
  windowed: true,
  offset: offset++,
  ...change,
});

describe('likes are a register per item and user', () => {
  it('counts repeated likes of one user once', () => {
    const d = decide([event({}), event({ eventTimeMs: 61_000 }), event({ eventTimeMs: 62_000 })], new Map());
    expect(d.deltas.get('item')!.likes).toBe(1);
    expect(d.registers.get(registerKey('item', 'u1'))).toMatchObject({ liked: true, eventTimeMs: 62_000 });
  });

  it('an unlike removes the like; a newer like brings it back', () => {
    expect(
      decide([event({}), event({ kind: 'UNLIKE', eventTimeMs: 61_000 })], new Map()).deltas.get('item')!.likes,
    ).toBe(0);
    expect(
      decide(
        [event({}), event({ kind: 'UNLIKE', eventTimeMs: 61_000 }), event({ eventTimeMs: 62_000 })],
        new Map(),
      ).deltas.get('item')!.likes,
    ).toBe(1);
  });

  it('an older event arriving late changes nothing', () => {
    const d = decide([event({ kind: 'UNLIKE', eventTimeMs: 70_000 }), event({ eventTimeMs: 65_000 })], new Map());
    expect(d.deltas.get('item')!.likes).toBe(0);
    expect(d.registers.get(registerKey('item', 'u1'))!.liked).toBe(false);
  });

  it('at equal event times the later position in the partition wins', () => {
    expect(
      decide([event({ eventTimeMs: 1 }), event({ kind: 'UNLIKE', eventTimeMs: 1 })], new Map()).deltas.get('item')!
        .likes,
    ).toBe(0);
    expect(isNewer({ eventTimeMs: 5, offset: 3 }, { liked: true, eventTimeMs: 5, offset: 3 })).toBe(false);
  });

  it('starts from the registers already stored', () => {
    const stored = new Map<string, LikeRegister>([
      [registerKey('item', 'u1'), { liked: true, eventTimeMs: 50_000, offset: 0 }],
    ]);
    expect(decide([event({ eventTimeMs: 90_000 })], stored).deltas.get('item')!.likes).toBe(0);
    expect(decide([event({ kind: 'UNLIKE', eventTimeMs: 90_000 })], stored).deltas.get('item')!.likes).toBe(-1);
    expect(decide([event({ kind: 'UNLIKE', eventTimeMs: 40_000 })], stored).deltas.get('item')!.likes).toBe(0);
  });

  it('keeps a standing like in the minute it was given: a newer like moves it, an unlike takes it out', () => {
    const stored = new Map<string, LikeRegister>([
      [registerKey('item', 'u1'), { liked: true, eventTimeMs: 60_000, offset: 0 }],
    ]);
    expect(decide([event({ eventTimeMs: 185_000 })], stored).minutes).toEqual([
      { itemId: 'item', metric: 'likes', minuteMs: 60_000, delta: -1 },
      { itemId: 'item', metric: 'likes', minuteMs: 180_000, delta: 1 },
    ]);
    expect(decide([event({ kind: 'UNLIKE', eventTimeMs: 185_000 })], stored).minutes).toEqual([
      { itemId: 'item', metric: 'likes', minuteMs: 60_000, delta: -1 },
    ]);
  });
});

describe('views and counters', () => {
  it('counts every view, and offers userId or else sessionId as the unique viewer', () => {
    const d = decide(
      [
        event({ kind: 'VIEW' }),
        event({ kind: 'VIEW', userId: null, sessionId: 's1' }),
        event({ kind: 'VIEW', userId: null }),
      ],
      new Map(),
    );
    expect(d.deltas.get('item')!.views).toBe(3);
    expect(d.viewers).toEqual([
      { itemId: 'item', viewerId: 'u:u1' },
      { itemId: 'item', viewerId: 's:s1' },
    ]);
    expect(d.minutes).toEqual([{ itemId: 'item', metric: 'views', minuteMs: 60_000, delta: 3 }]);
  });

  it('adds `by` to the named counter', () => {
    const d = decide(
      [
        event({ kind: 'INCREMENT', counter: 'bookings', by: 2 }),
        event({ kind: 'INCREMENT', counter: 'bookings', by: 3 }),
      ],
      new Map(),
    );
    expect(d.deltas.get('item')!.counters).toEqual(new Map([['bookings', 5]]));
    expect(d.minutes).toEqual([{ itemId: 'item', metric: 'counter:bookings', minuteMs: 60_000, delta: 5 }]);
  });
});

describe('refusal', () => {
  it('refuses what the gateway never writes', () => {
    expect(refusal(event({ userId: null }))).toMatch(/userId/);
    expect(refusal(event({ kind: 'INCREMENT', counter: null }))).toMatch(/counter/);
    expect(refusal(event({ kind: 'INCREMENT', counter: 'x', by: 0 }))).toMatch(/positive/);
    expect(refusal(event({ itemId: '' }))).toMatch(/itemId/);
    expect(refusal(event({}))).toBeUndefined();
  });
});
