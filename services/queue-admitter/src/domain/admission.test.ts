import { describe, expect, it } from 'vitest';
import { admissionTick, estimatedWaitSeconds } from './admission.js';

const settings = { capacity: 3, activeSeconds: 180 };

describe('admission', () => {
  it('fills free slots from the front of the line, in join order', () => {
    expect(admissionTick([], ['a', 'b', 'c', 'd'], settings, 1000).admitted.map((a) => a.ticketId)).toEqual(['a', 'b', 'c']);
    expect(admissionTick([{ ticketId: 'x', expiresAtMs: 9e9 }], ['a', 'b', 'c'], settings, 1000).admitted.map((a) => a.ticketId)).toEqual(['a', 'b']);
  });

  it('never admits beyond the capacity', () => {
    const full = [1, 2, 3].map((i) => ({ ticketId: `x${i}`, expiresAtMs: 9e9 }));
    expect(admissionTick(full, ['a'], settings, 1000)).toEqual({ expired: [], admitted: [] });
  });

  it('expires tickets whose time is up and gives their slots to the next in line', () => {
    const active = [
      { ticketId: 'x1', expiresAtMs: 1000 },
      { ticketId: 'x2', expiresAtMs: 1001 },
      { ticketId: 'x3', expiresAtMs: 5000 },
    ];
    const d = admissionTick(active, ['a', 'b'], settings, 1000);
    expect(d.expired).toEqual(['x1']);
    expect(d.admitted).toEqual([{ ticketId: 'a', admittedAtMs: 1000, expiresAtMs: 181_000 }]);
  });

  it('estimates the wait from the observed admission rate', () => {
    expect(estimatedWaitSeconds(0, 2)).toBe(1);
    expect(estimatedWaitSeconds(99, 2)).toBe(50);
    expect(estimatedWaitSeconds(10, 0)).toBeUndefined();
  });
});
