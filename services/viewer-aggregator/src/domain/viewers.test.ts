import { describe, expect, it } from 'vitest';
import { applyHeartbeat, currentViewers, eventTime, isWatching, type SessionMark } from './viewers.js';

const beat = (atMs: number, ended = false, receivedAtMs = atMs) => ({ sessionId: 's', atMs, receivedAtMs, ended });

function replay(events: ReturnType<typeof beat>[]): SessionMark | undefined {
  let mark: SessionMark | undefined;
  for (const e of events) mark = applyHeartbeat(mark, e) ?? mark;
  return mark;
}

describe('applyHeartbeat', () => {
  it('keeps the newest heartbeat whatever the delivery order', () => {
    const events = [beat(5000), beat(10_000), beat(15_000), beat(20_000)];
    const inOrder = replay(events);
    for (const shuffled of [[...events].reverse(), [events[2]!, events[0]!, events[3]!, events[1]!]]) expect(replay(shuffled)).toEqual(inOrder);
    expect(inOrder).toEqual({ atMs: 20_000, ended: false });
  });

  it('ignores duplicates and older heartbeats', () => {
    const mark = { atMs: 10_000, ended: false };
    expect(applyHeartbeat(mark, beat(10_000))).toBeUndefined();
    expect(applyHeartbeat(mark, beat(9_999))).toBeUndefined();
  });

  it('ends a session at once, and an older heartbeat arriving late does not bring it back', () => {
    const ended = replay([beat(5000), beat(10_000, true)]);
    expect(ended).toEqual({ atMs: 10_000, ended: true });
    expect(applyHeartbeat(ended, beat(7000))).toBeUndefined();
    expect(applyHeartbeat({ atMs: 10_000, ended: false }, beat(10_000, true))).toEqual({ atMs: 10_000, ended: true });
    expect(applyHeartbeat(ended, beat(10_000))).toBeUndefined();
    expect(applyHeartbeat(ended, beat(15_000))).toEqual({ atMs: 15_000, ended: false }); // a new play after the end
  });

  it('clamps a future timestamp to the receipt time', () => {
    expect(eventTime({ atMs: 10_000_000, receivedAtMs: 5000 })).toBe(5000);
    expect(eventTime({ atMs: 4000, receivedAtMs: 5000 })).toBe(4000);
    expect(applyHeartbeat(undefined, beat(10_000_000, false, 5000))).toEqual({ atMs: 5000, ended: false });
  });
});

describe('currentViewers', () => {
  it('counts sessions seen within the window and not ended', () => {
    const marks = [
      { atMs: 100_000, ended: false },
      { atMs: 70_000, ended: false }, // exactly at the window edge: still watching
      { atMs: 69_999, ended: false },
      { atMs: 99_000, ended: true },
    ];
    expect(currentViewers(marks, 100_000, 30_000)).toBe(2);
    expect(isWatching(marks[1]!, 100_001, 30_000)).toBe(false);
  });

  it('reads exactly N for N players beating every 5 s, in any order, with duplicates', () => {
    let seed = 3;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const marks = new Map<string, SessionMark>();
    for (let t = 0; t <= 60_000; t += 5000) {
      const events = Array.from({ length: 5 }, (_, p) => ({ sessionId: `p${p}`, atMs: t + p * 100, receivedAtMs: t + 1000, ended: false }));
      const deliveries = [...events, ...events.filter(() => random() < 0.5)].sort(() => random() - 0.5);
      for (const e of deliveries) {
        const next = applyHeartbeat(marks.get(e.sessionId), e);
        if (next) marks.set(e.sessionId, next);
      }
      expect(currentViewers(marks.values(), t + 1000, 30_000)).toBe(5);
    }
    expect(currentViewers(marks.values(), 60_000 + 30_500, 30_000)).toBe(0);
  });
});
