import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  coverBeats,
  minuteStartOf,
  minutesToLoad,
  type CoverageChange,
  type MarkedBeat,
  type SessionMarks,
} from './coverage.js';

const W = 30;

/** The deltas as a map of epoch second → change, without the zeros. */
function deltaMap({ from, values }: CoverageChange['deltas']): Map<number, number> {
  const map = new Map<number, number>();
  values.forEach((d, i) => d !== 0 && map.set(from + i, d));
  return map;
}

/** Peak of each minute from per-second concurrency. */
function peaksByMinute(concurrency: Map<number, number>): Map<number, number> {
  const peaks = new Map<number, number>();
  for (const [second, count] of concurrency) {
    const minute = minuteStartOf(second);
    peaks.set(minute, Math.max(peaks.get(minute) ?? 0, count));
  }
  return peaks;
}

/** Applies batches of (session, beat) as the store does: load marks, cover, keep marks and add deltas. */
function applyBatches(batches: { session: string; beat: MarkedBeat }[][]) {
  const marks = new Map<string, SessionMarks>();
  const concurrency = new Map<number, number>();
  for (const batch of batches) {
    const bySession = new Map<string, MarkedBeat[]>();
    for (const { session, beat } of batch) bySession.set(session, [...(bySession.get(session) ?? []), beat]);
    for (const [session, beats] of bySession) {
      const held = marks.get(session) ?? new Map();
      const before: SessionMarks = new Map(
        minutesToLoad(beats, W).flatMap((m) => (held.has(m) ? [[m, held.get(m)!] as const] : [])),
      );
      const change = coverBeats(before, beats, W);
      for (const [minute, m] of change.marks) held.set(minute, m);
      marks.set(session, held);
      for (const [second, d] of deltaMap(change.deltas)) concurrency.set(second, (concurrency.get(second) ?? 0) + d);
    }
  }
  for (const [second, count] of concurrency) if (count === 0) concurrency.delete(second);
  return concurrency;
}

/** The rule from scratch: for every second, the sessions whose newest heartbeat within W s is playing. */
function reference(beats: { session: string; beat: MarkedBeat }[]) {
  const concurrency = new Map<number, number>();
  const sessions = new Set(beats.map((b) => b.session));
  const seconds = beats.map((b) => b.beat.second);
  for (let t = Math.min(...seconds); t <= Math.max(...seconds) + W; t++) {
    let count = 0;
    for (const session of sessions) {
      const recent = beats
        .filter((b) => b.session === session && b.beat.second <= t && b.beat.second > t - W)
        .map((b) => b.beat);
      const newest = Math.max(...recent.map((b) => b.second));
      if (recent.length > 0 && recent.filter((b) => b.second === newest).every((b) => !b.ended)) count++;
    }
    if (count > 0) concurrency.set(t, count);
  }
  return concurrency;
}

const beatArb = fc.record({
  session: fc.constantFrom('a', 'b', 'c', 'd'),
  beat: fc.record({ second: fc.integer({ min: 1_000_000, max: 1_000_400 }), ended: fc.boolean() }),
});

describe('peak concurrency by event time', () => {
  it('counts three players beating every 5 s as 3, and an ended player gone at once', () => {
    const beats = ['a', 'b', 'c'].flatMap((session) =>
      Array.from({ length: 12 }, (_, i) => ({ session, beat: { second: 1_000_020 + i * 5, ended: false } })),
    );
    beats.push({ session: 'c', beat: { second: 1_000_050, ended: true } });
    const concurrency = applyBatches([beats]);
    expect(concurrency.get(1_000_040)).toBe(3);
    expect(concurrency.get(1_000_050)).toBe(2); // c ended at :50; its later beats (55..75) bring it back from :55
    expect(concurrency.get(1_000_055)).toBe(3);
    expect(peaksByMinute(concurrency).get(1_000_020)).toBe(3);
  });

  it('is the same for any batching, order and duplication of the same heartbeats (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(beatArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        (beats, cuts) => {
          // a delivery: the heartbeats shuffled by `cuts`, some twice, cut into batches at `cuts`
          const shuffled = [...beats, ...beats.filter((_, i) => (cuts[i] ?? 0) % 3 === 0)].sort(
            (x, y) => ((cuts[beats.indexOf(x)] ?? 1) % 7) - ((cuts[beats.indexOf(y)] ?? 1) % 7),
          );
          const batches: (typeof beats)[] = [];
          for (let i = 0; i < shuffled.length;) {
            const size = 1 + ((cuts[i] ?? 3) % 5);
            batches.push(shuffled.slice(i, i + size));
            i += size;
          }
          expect(applyBatches(batches)).toEqual(reference(beats));
        },
      ),
      { numRuns: 200 },
    );
  });
});
