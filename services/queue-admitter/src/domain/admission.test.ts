import { describe, expect, it } from 'vitest';
import { abandonedBefore, decideAdmissions, type ActiveTicket } from './admission.js';
import { DEFAULT_SETTINGS, type QueueSettings } from './outflow.js';

const settings = { ...DEFAULT_SETTINGS, capacity: 3 };
const view = (
  active: ActiveTicket[],
  waitingHead: string[],
  activeCount = active.length,
  more: Partial<QueueSettings> = {},
  recentAdmissions: number[] = [],
) => ({ settings: { ...settings, ...more }, activeCount, active, waitingHead, recentAdmissions });

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

describe('outflow settings in decisions', () => {
  it('admits nobody before the opening or while paused, but still expires', () => {
    const due = [{ ticketId: 'x', expiresAtMs: 500 }];
    expect(decideAdmissions(view(due, ['a'], 1, { opensAtMs: 2000 }), 1000)).toEqual({ expire: ['x'], admit: [] });
    expect(decideAdmissions(view([], ['a'], 0, { opensAtMs: 1000 }), 1000).admit).toEqual(['a']);
    expect(decideAdmissions(view(due, ['a'], 1, { paused: true }), 1000)).toEqual({ expire: ['x'], admit: [] });
  });

  it('proposes no more than admitPerMinute allows over the minute before', () => {
    const line = ['a', 'b', 'c'];
    expect(decideAdmissions(view([], line, 0, { admitPerMinute: 2 }), 100_000).admit).toEqual(['a', 'b']);
    expect(decideAdmissions(view([], line, 0, { admitPerMinute: 2 }, [50_000]), 100_000).admit).toEqual(['a']);
    // an admission exactly a minute ago has left the window
    expect(decideAdmissions(view([], line, 0, { admitPerMinute: 2 }, [40_000]), 100_000).admit).toEqual(['a', 'b']);
  });

  it('abandons only with abandonSeconds, and not before that long after the opening', () => {
    expect(abandonedBefore(DEFAULT_SETTINGS, 100_000)).toBeNull();
    expect(abandonedBefore({ ...DEFAULT_SETTINGS, abandonSeconds: 30 }, 100_000)).toBe(70_000);
    expect(abandonedBefore({ ...DEFAULT_SETTINGS, abandonSeconds: 30, opensAtMs: 80_000 }, 100_000)).toBeNull();
    expect(abandonedBefore({ ...DEFAULT_SETTINGS, abandonSeconds: 30, opensAtMs: 60_000 }, 100_000)).toBe(70_000);
  });
});
