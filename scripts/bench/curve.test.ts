import { describe, expect, it } from 'vitest';
import { compactCurve, lagTrend, secondHalf, slope, type Point } from './curve.js';

const line = (perSecond: number, from = 0, count = 10): Point[] =>
  Array.from({ length: count }, (_, i) => ({ atSeconds: i * 10, value: from + perSecond * i * 10 }));

describe('slope', () => {
  it('is the rate of a straight line', () => {
    expect(slope(line(25, 100))).toBeCloseTo(25);
  });

  it('is 0 for a single point or a single time', () => {
    expect(slope([{ atSeconds: 5, value: 9 }])).toBe(0);
    expect(
      slope([
        { atSeconds: 5, value: 1 },
        { atSeconds: 5, value: 9 },
      ]),
    ).toBe(0);
  });
});

describe('secondHalf', () => {
  it('keeps at least two points', () => {
    expect(secondHalf(line(1, 0, 3))).toHaveLength(2);
    expect(secondHalf(line(1, 0, 10)).map((p) => p.atSeconds)).toEqual([50, 60, 70, 80, 90]);
  });
});

describe('lagTrend', () => {
  it('calls a lag that grows at the end unbounded, whatever it did before', () => {
    const rising = [...line(0, 500, 5), ...line(50, 500, 5).map((p) => ({ ...p, atSeconds: p.atSeconds + 50 }))];
    expect(lagTrend(rising, 1000)).toEqual({ perSecond: expect.closeTo(50, 5), bounded: false });
  });

  it('calls a lag that jumps around a level bounded', () => {
    const steps = line(0, 4000, 12).map((p, i) => ({ ...p, value: p.value + (i % 2 === 0 ? 1500 : -1500) }));
    expect(lagTrend(steps, 3000).bounded).toBe(true);
  });

  it('calls a lag that falls bounded', () => {
    expect(lagTrend(line(-20, 5000), 1000).bounded).toBe(true);
  });
});

describe('compactCurve', () => {
  it('writes each point as its second and value', () => {
    expect(
      compactCurve(
        [
          { atSeconds: 10.2, value: 3.14159 },
          { atSeconds: 19.7, value: 2 },
        ],
        1,
      ),
    ).toBe('10 s 3.1, 20 s 2');
  });
});
