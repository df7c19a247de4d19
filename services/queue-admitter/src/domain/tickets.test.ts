import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type QueueSettings } from './outflow.js';
import {
  applyRecords,
  emptyQueue,
  preQueueOrder,
  type LoggedCommand,
  type QueueCommandToApply,
  type QueueState,
  type Ticket,
} from './tickets.js';

const Q = 'q';
// offsets grow through the file unless given: each test's records must be in offset order
let offset = 0;
const at = (command: QueueCommandToApply, o = offset++): LoggedCommand => ({ offset: o, queueId: Q, command });
const join = (ticketId: string, userId: string, joinOrder: number) =>
  at({ kind: 'JOIN', ticketId, userId, joinOrder, atMs: 1000 }, joinOrder);
const leave = (ticketId: string, atMs = 2000, o?: number) => at({ kind: 'LEAVE', ticketId, atMs }, o);
const complete = (ticketId: string, atMs = 2000, o?: number) => at({ kind: 'COMPLETE', ticketId, atMs }, o);
const configure = (capacity: number, activeSeconds: number, more: Partial<QueueSettings> = {}) =>
  at({
    kind: 'CONFIGURE',
    settings: { ...DEFAULT_SETTINGS, capacity, activeSeconds, ...more },
    preQueueSeed: 'seed',
    atMs: 1000,
  });
const admit = (ticketIds: string[], atMs: number, basisOffset: number, o?: number) =>
  at({ kind: 'ADMIT', ticketIds, atMs, basisOffset }, o);
const expire = (ticketIds: string[], atMs: number) => at({ kind: 'EXPIRE', ticketIds, atMs });

const ticket = (ticketId: string, userId: string, status: Ticket['status'], extra: Partial<Ticket> = {}): Ticket => ({
  ticketId,
  userId,
  status,
  joinOrder: 0,
  admittedAtMs: null,
  expiresAtMs: null,
  ...extra,
});
const queueWith = (tickets: Ticket[], over: Partial<QueueState> = {}): QueueState => ({
  ...emptyQueue(),
  activeCount: tickets.filter((t) => t.status === 'active').length,
  tickets: new Map(tickets.map((t) => [t.ticketId, t])),
  liveTicketOf: new Map(
    tickets.filter((t) => t.status === 'waiting' || t.status === 'active').map((t) => [t.userId, t.ticketId]),
  ),
  ...over,
});
const fold = (queue: QueueState, records: LoggedCommand[], appliedThrough = -1) => {
  const applied = applyRecords({ appliedThrough, queues: new Map([[Q, queue]]) }, records);
  return { ...applied, outcome: applied.queues.get(Q) };
};

describe('client commands', () => {
  it('a join waits in join order; a repeated join changes nothing', () => {
    const { outcome } = fold(emptyQueue(), [join('t1', 'u1', 5), join('t2', 'u2', 6), join('t1', 'u1', 7)]);
    expect([...outcome!.changed.values()].map((t) => [t.ticketId, t.status, t.joinOrder])).toEqual([
      ['t1', 'waiting', 5],
      ['t2', 'waiting', 6],
    ]);
  });

  it('one live ticket per user: a second join names the live one, and a repeat of that join stays an alias', () => {
    const { outcome } = fold(emptyQueue(), [
      join('t1', 'u1', 1),
      join('t9', 'u1', 2),
      complete('t1'),
      join('t9', 'u1', 4),
    ]);
    expect(outcome!.changed.size).toBe(1);
    expect(outcome!.aliases).toEqual(new Map([['t9', 't1']]));
    const ended = queueWith([ticket('t1', 'u1', 'completed')]);
    expect(fold(ended, [join('t2', 'u1', 3)]).outcome!.changed.get('t2')?.status).toBe('waiting');
  });

  it('leave frees a waiting or active ticket at once, complete an active one; the admission ends at the command time, never before it began', () => {
    const state = queueWith([
      ticket('a', 'u1', 'active', { admittedAtMs: 1500, expiresAtMs: 9000 }),
      ticket('w', 'u2', 'waiting'),
      ticket('b', 'u3', 'active', { admittedAtMs: 5000, expiresAtMs: 9000 }),
    ]);
    const { outcome } = fold(state, [leave('w'), complete('a'), complete('b', 4000)]);
    expect(outcome!.events.map((e) => [e.ticket.ticketId, e.kind, e.ticket.status, e.atMs])).toEqual([
      ['w', 'LEFT', 'left', 2000],
      ['a', 'COMPLETED', 'completed', 2000],
      ['b', 'COMPLETED', 'completed', 4000],
    ]);
    expect(outcome!.changed.get('a')?.expiresAtMs).toBe(2000);
    expect(outcome!.changed.get('w')?.expiresAtMs).toBeNull();
    expect(outcome!.changed.get('b')?.expiresAtMs).toBe(5000);
    expect(outcome!.state.activeCount).toBe(0);
  });

  it('a leave or complete of an alias acts on the ticket it names', () => {
    const state = queueWith([ticket('t1', 'u1', 'active', { admittedAtMs: 1000, expiresAtMs: 9000 })], {
      aliases: new Map([['t9', 't1']]),
    });
    expect(fold(state, [complete('t9')]).outcome!.changed.get('t1')?.status).toBe('completed');
  });

  it('ignores what cannot apply: unknown tickets, a second leave, completing a waiting ticket', () => {
    const state = queueWith([ticket('w', 'u2', 'waiting'), ticket('l', 'u3', 'left')]);
    const { outcome } = fold(state, [leave('nope'), leave('l'), complete('w')]);
    expect(outcome!.changed.size).toBe(0);
  });

  it('configure replaces the settings, counts a version, and keeps the first seed', () => {
    const first = fold(emptyQueue(), [configure(5, 60, { admitPerMinute: 30 })]).outcome!.state;
    expect(first.settings).toEqual({ ...DEFAULT_SETTINGS, capacity: 5, activeSeconds: 60, admitPerMinute: 30 });
    expect([first.settingsVersion, first.preQueueSeed]).toEqual([1, 'seed']);
    const again = fold(first, [
      at({ kind: 'CONFIGURE', settings: { ...DEFAULT_SETTINGS, paused: true }, preQueueSeed: 'other', atMs: 2000 }),
    ]).outcome!.state;
    expect([again.settings.paused, again.settings.admitPerMinute, again.settingsVersion, again.preQueueSeed]).toEqual([
      true,
      null,
      2,
      'seed',
    ]);
  });
});

describe('outflow, the pre-queue and abandonment', () => {
  const line = (n: number) =>
    Array.from({ length: n }, (_, i) => ticket(`w${i}`, `u${i}`, 'waiting', { joinOrder: i }));
  const admittedBy = (outcome: ReturnType<typeof fold>['outcome']) =>
    outcome!.events.filter((e) => e.kind === 'ADMITTED').map((e) => e.ticket.ticketId);

  it('admits nobody while paused or before the opening, and keeps the decision unspent', () => {
    const settings = { ...DEFAULT_SETTINGS, paused: true };
    const paused = fold(queueWith(line(2), { settings }), [admit(['w0'], 5000, 1, 2)]);
    expect(admittedBy(paused.outcome)).toEqual([]);
    expect(paused.outcome!.state.admittedThrough).toBe(-1);
    const early = { ...DEFAULT_SETTINGS, opensAtMs: 9000 };
    expect(admittedBy(fold(queueWith(line(2), { settings: early }), [admit(['w0'], 5000, 1, 2)]).outcome)).toEqual([]);
    expect(admittedBy(fold(queueWith(line(2), { settings: early }), [admit(['w0'], 9000, 1, 2)]).outcome)).toEqual([
      'w0',
    ]);
  });

  it('admits no more than admitPerMinute in the minute before, and never times an admission before the last', () => {
    const settings = { ...DEFAULT_SETTINGS, admitPerMinute: 3 };
    const { outcome } = fold(queueWith(line(5), { settings, recentAdmissions: [30_000, 61_000] }), [
      admit(['w0', 'w1', 'w2'], 100_000, 1, 2),
    ]);
    // 30,000 is out of the minute before 100,000; 61,000 is in: two more fit
    expect(admittedBy(outcome)).toEqual(['w0', 'w1']);
    expect(outcome!.state.recentAdmissions).toEqual([61_000, 100_000, 100_000]);
    const skewed = fold(queueWith(line(2), { recentAdmissions: [70_000] }), [admit(['w0'], 60_000, 1, 2)]);
    expect(skewed.outcome!.events[0]!.ticket.admittedAtMs).toBe(70_000);
  });

  it('puts joins before opensAt in the drawn order, ahead of every later join, the same on replay', () => {
    const opening = configure(10, 60, { opensAtMs: 5000 });
    const joins = ['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) =>
      at({ kind: 'JOIN', ticketId: id, userId: `u-${id}`, joinOrder: 100 + i, atMs: 4000 }, 100 + i),
    );
    const late = at({ kind: 'JOIN', ticketId: 'late', userId: 'u-late', joinOrder: 200, atMs: 5000 }, 200);
    const { outcome } = fold(emptyQueue(), [opening, ...joins, late]);
    const order = [...outcome!.changed.values()].sort((x, y) => x.joinOrder - y.joinOrder).map((t) => t.ticketId);
    expect(order.at(-1)).toBe('late');
    expect(order.slice(0, -1)).not.toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(order.slice(0, -1).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(preQueueOrder('seed', 'a')).toBe(outcome!.changed.get('a')!.joinOrder);
    expect(preQueueOrder('seed', 'a')).not.toBe(preQueueOrder('other seed', 'a'));
    // a decision made before the last pre-queue join was applied may not be the front any more: refused
    const after = fold(outcome!.state, [admit(['a'], 6000, 104, 201)]);
    expect(after.outcome!.changed.size).toBe(0);
  });

  it('abandons waiting tickets only; an abandoned ticket is never admitted and its user may join again', () => {
    const state = queueWith([...line(2), ticket('x', 'ux', 'active', { admittedAtMs: 0, expiresAtMs: 9e9 })]);
    const { outcome } = fold(state, [
      at({ kind: 'ABANDON', ticketIds: ['w0', 'x'], atMs: 3000 }, 1),
      admit(['w0', 'w1'], 4000, 1, 2),
      join('again', 'u0', 3),
    ]);
    expect(outcome!.changed.get('w0')!.status).toBe('abandoned');
    expect(outcome!.changed.get('x')).toBeUndefined();
    expect(admittedBy(outcome)).toEqual(['w1']);
    expect(outcome!.events.map((e) => e.kind)).toEqual(['ABANDONED', 'ADMITTED']);
    expect(outcome!.changed.get('again')!.status).toBe('waiting');
  });

  it('learns how long admissions hold their slot from those that end', () => {
    const active = (id: string) => ticket(id, `u${id}`, 'active', { admittedAtMs: 0, expiresAtMs: 180_000 });
    const { outcome } = fold(queueWith([active('a'), active('b')]), [complete('a', 40_000), expire(['b'], 180_000)]);
    // from activeSeconds (the default 180 s) as the prior: 180 → 173 → 173.35 s
    const afterFirst = 180_000 + (40_000 - 180_000) / 20;
    expect(outcome!.state.observedHoldMs).toBe(afterFirst + (180_000 - afterFirst) / 20);
  });
});

describe('decisions', () => {
  const waiting = ['a', 'b', 'c', 'd'].map((id, i) => ticket(id, `u-${id}`, 'waiting', { joinOrder: i }));

  it('ADMIT admits listed waiting tickets into free slots, in the listed order, from the decision time for activeSeconds', () => {
    const state = queueWith(waiting, { settings: { ...DEFAULT_SETTINGS, capacity: 3, activeSeconds: 60 } });
    const { outcome } = fold(state, [admit(['a', 'b'], 10_000, 4, 10)]);
    expect(
      outcome!.events.map((e) => [e.kind, e.ticket.ticketId, e.ticket.admittedAtMs, e.ticket.expiresAtMs]),
    ).toEqual([
      ['ADMITTED', 'a', 10_000, 70_000],
      ['ADMITTED', 'b', 10_000, 70_000],
    ]);
    expect(outcome!.state).toMatchObject({ activeCount: 2, admittedTotal: 2, admittedThrough: 4, clockMs: 10_000 });
  });

  it('ADMIT never fills beyond the capacity at its point of the log, whatever it lists', () => {
    const state = queueWith([ticket('x', 'ux', 'active', { admittedAtMs: 0, expiresAtMs: 9e9 }), ...waiting], {
      settings: { ...DEFAULT_SETTINGS, capacity: 2, activeSeconds: 60 },
    });
    const { outcome } = fold(state, [admit(['a', 'b', 'c'], 10_000, 4, 10)]);
    expect(outcome!.events.map((e) => e.ticket.ticketId)).toEqual(['a']);
    expect(outcome!.state.activeCount).toBe(2);
  });

  it('ADMIT skips listed tickets that stopped waiting and goes on with the rest', () => {
    const state = queueWith(waiting, { settings: { ...DEFAULT_SETTINGS, capacity: 2, activeSeconds: 60 } });
    const { outcome } = fold(state, [leave('a', 2000, 9), admit(['a', 'b', 'c'], 10_000, 4, 10)]);
    expect(outcome!.events.filter((e) => e.kind === 'ADMITTED').map((e) => e.ticket.ticketId)).toEqual(['b', 'c']);
  });

  it('an ADMIT from no later a state than one applied is a repeat and changes nothing, even with slots free', () => {
    const state = queueWith(waiting, { settings: { ...DEFAULT_SETTINGS, capacity: 1, activeSeconds: 60 } });
    const { outcome } = fold(state, [
      admit(['a', 'b'], 10_000, 4, 10),
      complete('a', 10_500, 11),
      admit(['a', 'b'], 10_000, 4, 12),
      admit(['b'], 10_000, 3, 13),
    ]);
    expect(outcome!.events.filter((e) => e.kind === 'ADMITTED').map((e) => e.ticket.ticketId)).toEqual(['a']);
    // from a later state (it saw the completion) it admits
    const later = fold(outcome!.state, [admit(['b'], 11_000, 12, 14)], 13).outcome!;
    expect(later.events.map((e) => e.ticket.ticketId)).toEqual(['b']);
  });

  it('an ADMIT claiming a state that includes itself is refused', () => {
    expect(fold(queueWith(waiting), [admit(['a'], 10_000, 10, 10)]).outcome!.changed.size).toBe(0);
  });

  it('EXPIRE expires listed active tickets whose time is up at the decision time, nothing else', () => {
    const state = queueWith([
      ticket('x', 'ux', 'active', { admittedAtMs: 0, expiresAtMs: 5000 }),
      ticket('y', 'uy', 'active', { admittedAtMs: 0, expiresAtMs: 9000 }),
      waiting[0]!,
    ]);
    const { outcome } = fold(state, [expire(['x', 'y', 'a', 'nope'], 5000), expire(['x'], 6000)]);
    expect(outcome!.events.map((e) => [e.kind, e.ticket.ticketId, e.ticket.expiresAtMs, e.atMs])).toEqual([
      ['EXPIRED', 'x', 5000, 5000],
    ]);
    expect(outcome!.state.activeCount).toBe(1);
  });
});

describe('the fence', () => {
  it('records at or below the last applied offset change nothing', () => {
    const applied = fold(emptyQueue(), [join('t1', 'u1', 3), join('t2', 'u2', 4), join('t3', 'u3', 5)], 4);
    expect([...applied.outcome!.changed.keys()]).toEqual(['t3']);
    expect(applied.appliedThrough).toBe(5);
    expect(fold(emptyQueue(), [join('t1', 'u1', 3)], 4)).toMatchObject({ appliedThrough: 4, outcome: undefined });
  });
});
