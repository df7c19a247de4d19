import { describe, expect, it } from 'vitest';
import { admissionRate, decideAdmissions, estimatedWaitSeconds, type ActiveTicket } from './admission.js';

const settings = { capacity: 3, activeSeconds: 180 };
const view = (active: ActiveTicket[], waitingHead: string[], activeCount = active.length) => ({
  settings,
  activeCount,
  active,
  waitingHead,
});

describe('admission decisions', () => {
  it('proposes the front of the line for the free slots, in join order', () => {
    expect(decideAdmissions(view([], ['a', 'b', 'c', 'd']), 1000).admit).toEqual(['a', 'b', 'c']);
    expect(decideAdmissions(view([{ ticketId: 'x', expiresAtMs: 9e9 }], ['a', 'b', 'c']), 1000).admit).toEqual([
      'a',
      'b',
    ]);
  });

  it('never proposes beyond the capacity, counting the active tickets it was not shown', () => {
    const full = [1, 2, 3].map((i) => ({ ticketId: `x${i}`, expiresAtMs: 9e9 }));
    expect(decideAdmissions(view(full, ['a']), 1000)).toEqual({ expire: [], admit: [] });
    expect(decideAdmissions(view([], ['a', 'b'], 2), 1000).admit).toEqual(['a']);
    // a capacity lowered below what is active admits nobody
    expect(decideAdmissions(view([], ['a'], 5), 1000).admit).toEqual([]);
  });

  it('expires tickets whose time is up and gives their slots to the next in line', () => {
    const active = [
      { ticketId: 'x1', expiresAtMs: 1000 },
      { ticketId: 'x2', expiresAtMs: 1001 },
      { ticketId: 'x3', expiresAtMs: 5000 },
    ];
    expect(decideAdmissions(view(active, ['a', 'b']), 1000)).toEqual({ expire: ['x1'], admit: ['a'] });
  });

  it('names at most maxTickets tickets per decision', () => {
    const active = [1, 2, 3].map((i) => ({ ticketId: `x${i}`, expiresAtMs: 0 }));
    expect(decideAdmissions(view(active, ['a', 'b', 'c']), 1000, 2)).toEqual({
      expire: ['x1', 'x2'],
      admit: ['a', 'b'],
    });
  });
});

describe('rates and waits', () => {
  it('measures the rate per second over a minute', () => {
    expect(admissionRate(120)).toBe(2);
    expect(admissionRate(0)).toBe(0);
  });

  it('estimates the wait from the observed admission rate', () => {
    expect(estimatedWaitSeconds(0, 2)).toBe(1);
    expect(estimatedWaitSeconds(99, 2)).toBe(50);
    expect(estimatedWaitSeconds(10, 0)).toBeUndefined();
  });
});
