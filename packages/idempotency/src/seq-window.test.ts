import { describe, expect, it } from 'vitest';
import { admitSeq, emptyWindow } from './seq-window.js';

describe('admitSeq', () => {
  it('admits each seq once, in any order inside the window', () => {
    const w = emptyWindow(64);
    expect([5, 3, 4, 5, 0, 3, 6].map((s) => admitSeq(w, s))).toEqual([
      'new',
      'new',
      'new',
      'duplicate',
      'new',
      'duplicate',
      'new',
    ]);
  });

  it('answers stale for a seq that fell out of the window, so a replay never applies it again', () => {
    const w = emptyWindow(8);
    expect(admitSeq(w, 0)).toBe('new');
    expect(admitSeq(w, 8)).toBe('new');
    expect(admitSeq(w, 0)).toBe('stale');
    expect(admitSeq(w, 1)).toBe('new'); // 1 is inside (8-8, 8]: never seen, so new
    expect(admitSeq(w, 1)).toBe('duplicate');
  });

  it('forgets the bits it jumps over, so a skipped seq is new when it arrives late', () => {
    const w = emptyWindow(16);
    for (let s = 0; s < 16; s++) admitSeq(w, s);
    expect(admitSeq(w, 20)).toBe('new'); // 16..19 skipped: their slots held 0..3 and must be cleared
    expect([16, 17, 18, 19].map((s) => admitSeq(w, s))).toEqual(['new', 'new', 'new', 'new']);
    expect(admitSeq(w, 3)).toBe('stale');
  });

  it('clears everything on a jump larger than the window', () => {
    const w = emptyWindow(8);
    for (let s = 0; s < 8; s++) admitSeq(w, s);
    expect(admitSeq(w, 100)).toBe('new');
    expect([93, 94, 99].map((s) => admitSeq(w, s))).toEqual(['new', 'new', 'new']);
    expect(admitSeq(w, 92)).toBe('stale');
  });

  it('agrees with an exact set for random shuffled and duplicated deliveries within the window', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const w = emptyWindow(256);
    const seen = new Set<number>();
    for (let base = 0; base < 5000; base += 100) {
      const chunk = Array.from({ length: 100 }, (_, i) => base + i);
      const deliveries = [...chunk, ...chunk.filter(() => random() < 0.3)].sort(() => random() - 0.5);
      for (const seq of deliveries) {
        const expected = seen.has(seq) ? 'duplicate' : 'new';
        seen.add(seq);
        expect(admitSeq(w, seq)).toBe(expected);
      }
    }
  });

  it('rejects window sizes that are not a positive multiple of 8', () => {
    expect(() => emptyWindow(0)).toThrow(RangeError);
    expect(() => emptyWindow(12)).toThrow(/multiple of 8/);
  });
});
