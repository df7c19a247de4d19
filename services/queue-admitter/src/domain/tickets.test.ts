import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, applyCommands, type QueueState, type Ticket } from './tickets.js';

const empty = (): QueueState => ({ settings: DEFAULT_SETTINGS, tickets: new Map(), liveTicketOf: new Map() });
const join = (ticketId: string, userId: string, joinOrder: number) => ({ kind: 'JOIN' as const, ticketId, userId, joinOrder });
const active = (ticketId: string, userId: string): Ticket => ({ ticketId, userId, status: 'active', joinOrder: 0, admittedAtMs: 0, expiresAtMs: 180_000 });

describe('queue commands', () => {
  it('a join waits in join order; a repeated join changes nothing', () => {
    const d = applyCommands(empty(), [join('t1', 'u1', 5), join('t2', 'u2', 6), join('t1', 'u1', 7)], 0);
    expect([...d.changed.values()].map((t) => [t.ticketId, t.status, t.joinOrder])).toEqual([
      ['t1', 'waiting', 5],
      ['t2', 'waiting', 6],
    ]);
  });

  it('one live ticket per user: a second join names the live one', () => {
    const d = applyCommands(empty(), [join('t1', 'u1', 1), join('t9', 'u1', 2)], 0);
    expect(d.changed.size).toBe(1);
    expect(d.aliases).toEqual(new Map([['t9', 't1']]));
    const state = { ...empty(), tickets: new Map([['t1', { ...active('t1', 'u1'), status: 'completed' as const }]]), liveTicketOf: new Map([['u1', 't1']]) };
    expect(applyCommands(state, [join('t2', 'u1', 3)], 0).changed.get('t2')?.status).toBe('waiting');
  });

  it('leave frees a waiting or active ticket at once; complete ends an active one', () => {
    const state = { ...empty(), tickets: new Map([['a', active('a', 'u1')], ['w', { ...active('w', 'u2'), status: 'waiting' as const, expiresAtMs: null }]]) };
    const d = applyCommands(state, [{ kind: 'LEAVE', ticketId: 'w' }, { kind: 'COMPLETE', ticketId: 'a' }], 1000);
    expect(d.ended.map((e) => [e.ticket.ticketId, e.kind, e.ticket.status])).toEqual([
      ['w', 'LEFT', 'left'],
      ['a', 'COMPLETED', 'completed'],
    ]);
    expect(d.changed.get('a')?.expiresAtMs).toBe(1000);
  });

  it('ignores what cannot apply: unknown tickets, a second leave, completing a waiting ticket', () => {
    const state = { ...empty(), tickets: new Map([['w', { ...active('w', 'u2'), status: 'waiting' as const }], ['l', { ...active('l', 'u3'), status: 'left' as const }]]) };
    const d = applyCommands(state, [{ kind: 'LEAVE', ticketId: 'nope' }, { kind: 'LEAVE', ticketId: 'l' }, { kind: 'COMPLETE', ticketId: 'w' }], 0);
    expect(d.changed.size).toBe(0);
  });

  it('configure sets capacity and activeSeconds', () => {
    expect(applyCommands(empty(), [{ kind: 'CONFIGURE', capacity: 5, activeSeconds: 60 }], 0).settings).toEqual({ capacity: 5, activeSeconds: 60 });
  });
});
