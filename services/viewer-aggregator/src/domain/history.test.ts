import { describe, expect, it } from 'vitest';
import { foldHistory, lateForHistory, marksToLoad, minuteOf, validateHistoryQuery } from './history.js';

const t0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const beat = (
  sessionId: string,
  atMs: number,
  over: { streamId?: string; ended?: boolean; receivedAtMs?: number } = {},
) => ({
  streamId: over.streamId ?? 'a',
  sessionId,
  atMs,
  receivedAtMs: over.receivedAtMs ?? atMs,
  ended: over.ended ?? false,
});

describe('foldHistory', () => {
  it('counts heartbeats per event minute, keeps each session’s marks, and the change of concurrency per second', () => {
    const change = foldHistory(
      [beat('s1', t0 + 1000), beat('s1', t0 + 6000), beat('s2', t0 + 59_000), beat('s9', t0 + 1000, { streamId: 'b' })],
      new Map(),
      30,
    );
    const minutes = change.minutes.sort((x, y) => x.streamId.localeCompare(y.streamId) || x.minuteMs - y.minuteMs);
    expect(minutes.map((m) => [m.streamId, m.minuteMs, m.heartbeats])).toEqual([
      ['a', t0, 3],
      ['a', t0 + 60_000, 0], // s2 still covers the next minute's first 28 s
      ['b', t0, 1],
    ]);
    const playingSeconds = (marks: Uint8Array) => [...marks.keys()].filter((s) => marks[s]! & 1);
    expect(change.marks.map((m) => [m.streamId, m.sessionId, m.minuteMs, playingSeconds(m.marks)])).toEqual([
      ['a', 's1', t0, [1, 6]],
      ['a', 's2', t0, [59]],
      ['b', 's9', t0, [1]],
    ]);
    // the change of concurrency per second: s1 newly covers seconds 1..35, s2 seconds 59..88
    const [first, next] = minutes;
    expect([
      ...first!.concurrency.slice(0, 3),
      first!.concurrency[35],
      first!.concurrency[36],
      first!.concurrency[59],
    ]).toEqual([0, 1, 1, 1, 0, 1]);
    expect(first!.concurrency.reduce((sum, d) => sum + d, 0) + next!.concurrency.reduce((sum, d) => sum + d, 0)).toBe(
      35 + 30,
    );
  });

  it('loads the marks of the minutes a beat may see back to and cover forward to', () => {
    expect(marksToLoad([beat('s1', t0 + 50_000)], 30).map((m) => m.minuteMs)).toEqual([t0, t0 + 60_000]);
    expect(marksToLoad([beat('s1', t0 + 10_000)], 30).map((m) => m.minuteMs)).toEqual([t0 - 60_000, t0]);
  });
});

describe('lateness of a heartbeat for its history minute', () => {
  it('is judged by the receipt time against the end of its minute plus the grace', () => {
    const grace = 600_000;
    expect(lateForHistory({ atMs: t0 + 1000, receivedAtMs: t0 + 60_000 + grace }, grace)).toBeUndefined();
    expect(lateForHistory({ atMs: t0 + 1000, receivedAtMs: t0 + 60_001 + grace }, grace)?.eventTimeMs).toBe(t0 + 1000);
    // a clock far behind is late for history (presence still counts it by its receipt)
    expect(lateForHistory({ atMs: t0 - 3_600_000, receivedAtMs: t0 }, grace)?.reason).toMatch(
      /after its viewers.history.minute window ended/,
    );
    // a clock never set is placed at its receipt: never late
    expect(lateForHistory({ atMs: 0, receivedAtMs: t0 }, grace)).toBeUndefined();
  });
});

describe('history reads', () => {
  it('are bounded', () => {
    expect(minuteOf(119_999)).toBe(60_000);
    expect(validateHistoryQuery({ fromMs: 0, toMs: 3_600_000, granularity: 'minute' })).toBeUndefined();
    expect(validateHistoryQuery({ fromMs: 5, toMs: 5, granularity: 'minute' })).toMatch(/before/);
    expect(validateHistoryQuery({ fromMs: 0, toMs: 10 * 86_400_000, granularity: 'minute' })).toMatch(
      /at most 1440 minute/,
    );
  });
});
