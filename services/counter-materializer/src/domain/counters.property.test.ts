/**
 * Counts under random delivery orders (issue 17). The store is modelled in memory the way
 * apply-item-events.ts applies `decide` flush by flush: it drops writes whose (source, seq) it has seen
 * (here a Set, standing for the seq windows and archive), reads the like registers the fresh events touch,
 * calls `decide`, overwrites those registers, inserts (item, viewer) pairs and counts the new ones, adds the
 * deltas to the items and counters and the per-minute contributions to their minute rows. Each event is built
 * as materializer.ts builds it: event time judged by @tally/event-time from `at` and the gateway's receipt time,
 * `windowed` false when it is late even for the 24h window (default graces: 1h 5 min, 24h 1 h).
 *
 * Every event has a fixed offset (its position in one partition) and a fixed event time; copies are the same
 * record delivered again. Delivered in any order, with any copies, in batches of any size, the final state is
 * the one the rule gives:
 * - each (item, user) register holds its newest event by (event time, offset); likes count the liked ones;
 * - views, unique viewers and named counters count each (source, seq) once;
 * - the minute rows are the same within the lateness policy: in every minute a window can still read once the
 *   last event has been received (the 24h window at that time, which holds the 1h one). Outside it they may
 *   differ, and must be allowed to: an event late for 24h touches no minute row, so when it replaces a register
 *   it does not take the register's older like out of that like's minute. Delivered before the older like, it
 *   makes that like change nothing; delivered after, the older minute keeps its +1. That minute is at most the
 *   late event's own, which no window can read once the late event has arrived. With no event late for 24h,
 *   all minute rows are the same.
 * (The offset fence of the store is not modelled: it drops what a partition already delivered, which holds only
 * in partition order; the (source, seq) Set is what makes a copy in any order count once.)
 */
import fc from 'fast-check';
import { judgedEventTime } from '@tally/event-time';
import { describe, expect, it } from 'vitest';
import { decide, registerKey, type ItemEventToApply, type LikeRegister, type Metric } from './counters.js';
import { lateWindows, minuteOf, windowStart, type RankingGraces } from './windows.js';

const GRACES: RankingGraces = { '1h': 5 * 60_000, '24h': 60 * 60_000 };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 0, 10);
const COUNTERS = ['bookings', 'shares'];

interface Event extends ItemEventToApply {
  source: string;
  seq: number;
  receivedAtMs: number;
}

/** The counter tables, in memory, written flush by flush as CounterStore writes Postgres. */
class CounterModel {
  readonly applied = new Set<string>();
  readonly registers = new Map<string, LikeRegister>();
  readonly viewers = new Set<string>();
  readonly items = new Map<string, { likes: number; views: number; uniqueViewers: number }>();
  readonly counters = new Map<string, number>();
  /** item_minutes by item, metric and minute; a row stays when it sums to zero, as in Postgres. */
  readonly minutes = new Map<string, number>();

  apply(batch: Event[]): void {
    const fresh = batch.filter((e) => {
      const key = `${e.source}\u0000${e.seq}`;
      if (this.applied.has(key)) return false;
      this.applied.add(key);
      return true;
    });
    const likes = fresh.filter((e) => e.kind === 'LIKE' || e.kind === 'UNLIKE');
    const before = new Map(
      likes.flatMap((e) =>
        this.registers.has(registerKey(e.itemId, e.userId!))
          ? [[registerKey(e.itemId, e.userId!), this.registers.get(registerKey(e.itemId, e.userId!))!] as const]
          : [],
      ),
    );
    const decision = decide(fresh, before);
    for (const [key, r] of decision.registers)
      this.registers.set(key, { liked: r.liked, eventTimeMs: r.eventTimeMs, offset: r.offset });
    const newViewers = new Map<string, number>();
    for (const { itemId, viewerId } of decision.viewers) {
      const key = `${itemId}\u0000${viewerId}`;
      if (this.viewers.has(key)) continue;
      this.viewers.add(key);
      newViewers.set(itemId, (newViewers.get(itemId) ?? 0) + 1);
    }
    for (const itemId of new Set(batch.map((e) => e.itemId))) {
      const item = this.items.get(itemId) ?? { likes: 0, views: 0, uniqueViewers: 0 };
      const delta = decision.deltas.get(itemId);
      item.likes += delta?.likes ?? 0;
      item.views += delta?.views ?? 0;
      item.uniqueViewers += newViewers.get(itemId) ?? 0;
      this.items.set(itemId, item);
      for (const [name, by] of delta?.counters ?? [])
        this.counters.set(`${itemId}\u0000${name}`, (this.counters.get(`${itemId}\u0000${name}`) ?? 0) + by);
    }
    for (const m of decision.minutes) {
      const key = minuteKey(m.itemId, m.metric, m.minuteMs);
      this.minutes.set(key, (this.minutes.get(key) ?? 0) + m.delta);
    }
  }
}

const minuteKey = (itemId: string, metric: Metric, minuteMs: number) => `${itemId}\u0000${metric}\u0000${minuteMs}`;
const minuteOfKey = (key: string) => Number(key.split('\u0000')[2]);

interface EventSpec {
  kind: ItemEventToApply['kind'];
  item: number;
  user: number;
  /** A view by a session rather than a user (or by nobody known). */
  viewer: 'user' | 'session' | 'none';
  counter: number;
  by: number;
  day: number;
  /** Steps of 30 s in the day: few, so event times tie and the offset decides. */
  step: number;
  /** Receipt time minus `at`: mostly on time, some late for 1h, some late even for 24h. */
  delayMs: number;
}

const eventSpecArb: fc.Arbitrary<EventSpec> = fc.record({
  kind: fc.constantFrom('LIKE', 'LIKE', 'UNLIKE', 'VIEW', 'INCREMENT'),
  item: fc.nat(2),
  user: fc.nat(3),
  viewer: fc.constantFrom('user' as const, 'session' as const, 'none' as const),
  counter: fc.nat(COUNTERS.length - 1),
  by: fc.integer({ min: 1, max: 5 }),
  day: fc.nat(3),
  step: fc.nat(12),
  delayMs: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 10 * MINUTE }) },
    { weight: 2, arbitrary: fc.integer({ min: 70 * MINUTE, max: 5 * HOUR }) },
    { weight: 1, arbitrary: fc.integer({ min: 26 * HOUR, max: 40 * HOUR }) },
  ),
});

/** The partition: each event at its offset, built as materializer.ts builds it from the record. */
function partitionOf(specs: EventSpec[]): Event[] {
  return specs.map((s, offset) => {
    const atMs = T0 + s.day * DAY + s.step * 30_000;
    const receivedAtMs = atMs + s.delayMs;
    const eventTimeMs = judgedEventTime(atMs, receivedAtMs);
    const like = s.kind === 'LIKE' || s.kind === 'UNLIKE';
    return {
      source: offset % 3 === 0 ? 'web' : 'app',
      seq: offset,
      receivedAtMs,
      itemId: `item${s.item}`,
      kind: s.kind,
      userId: like || (s.kind === 'VIEW' && s.viewer === 'user') ? `u${s.user}` : null,
      sessionId: s.kind === 'VIEW' && s.viewer === 'session' ? `s${s.user}` : null,
      counter: s.kind === 'INCREMENT' ? COUNTERS[s.counter]! : null,
      by: s.kind === 'INCREMENT' ? s.by : 1,
      eventTimeMs,
      windowed: !lateWindows(eventTimeMs, receivedAtMs, GRACES).some((l) => l.window === '24h'),
      offset,
    };
  });
}

interface Delivery {
  mix: number[];
  /** Copies of records: which one (modulo the count). */
  copies: number[];
  cuts: boolean[];
}

const deliveryArb: fc.Arbitrary<Delivery> = fc.record({
  mix: fc.array(fc.nat(1000), { minLength: 64, maxLength: 64 }),
  copies: fc.array(fc.nat(), { maxLength: 12, size: 'max' }),
  cuts: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
});

/** The events with copies, in the order the random keys give, in batches where `cuts` says. */
function deliver(events: Event[], delivery: Delivery): CounterModel {
  const model = new CounterModel();
  if (events.length === 0) return model;
  const all = [...events, ...delivery.copies.map((c) => ({ ...events[c % events.length]! }))];
  const ordered = all
    .map((e, i) => ({ e, key: delivery.mix[i % delivery.mix.length]!, i }))
    .sort((x, y) => x.key - y.key || x.i - y.i)
    .map((x) => x.e);
  let batch: Event[] = [];
  ordered.forEach((e, i) => {
    batch.push(e);
    if (delivery.cuts[i % delivery.cuts.length]) {
      model.apply(batch);
      batch = [];
    }
  });
  if (batch.length > 0) model.apply(batch);
  return model;
}

interface State {
  registers: [string, LikeRegister][];
  items: [string, { likes: number; views: number; uniqueViewers: number }][];
  counters: [string, number][];
  minutes: [string, number][];
}

const byKey = <T>(entries: Iterable<[string, T]>) => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The state as compared: minute rows that are not zero and that a window can still read at `readableFrom`. */
function stateOf(model: CounterModel, readableFrom: number): State {
  return {
    registers: byKey(model.registers),
    items: byKey(model.items),
    counters: byKey(model.counters),
    minutes: byKey([...model.minutes].filter(([key, n]) => n !== 0 && minuteOfKey(key) >= readableFrom)),
  };
}

/** The state the rule gives, computed from the events themselves. */
function expectedState(events: Event[], readableFrom: number): State {
  const newest = new Map<string, Event>();
  const items = new Map<string, { likes: number; views: number; uniqueViewers: number }>();
  const viewers = new Set<string>();
  const counters = new Map<string, number>();
  const minutes = new Map<string, number>();
  const addMinute = (e: Event, metric: Metric, delta: number) => {
    if (!e.windowed) return;
    const key = minuteKey(e.itemId, metric, minuteOf(e.eventTimeMs));
    minutes.set(key, (minutes.get(key) ?? 0) + delta);
  };
  const itemOf = (itemId: string) =>
    items.get(itemId) ?? items.set(itemId, { likes: 0, views: 0, uniqueViewers: 0 }).get(itemId)!;
  for (const e of events) {
    const item = itemOf(e.itemId);
    if (e.kind === 'VIEW') {
      item.views++;
      const viewer = e.userId ? `u:${e.userId}` : e.sessionId ? `s:${e.sessionId}` : undefined;
      if (viewer && !viewers.has(`${e.itemId}/${viewer}`)) {
        viewers.add(`${e.itemId}/${viewer}`);
        item.uniqueViewers++;
      }
      addMinute(e, 'views', 1);
    } else if (e.kind === 'INCREMENT') {
      const key = `${e.itemId}\u0000${e.counter}`;
      counters.set(key, (counters.get(key) ?? 0) + e.by);
      addMinute(e, `counter:${e.counter}`, e.by);
    } else {
      const key = registerKey(e.itemId, e.userId!);
      const current = newest.get(key);
      if (
        !current ||
        e.eventTimeMs > current.eventTimeMs ||
        (e.eventTimeMs === current.eventTimeMs && e.offset > current.offset)
      )
        newest.set(key, e);
    }
  }
  for (const e of newest.values()) {
    if (e.kind !== 'LIKE') continue;
    itemOf(e.itemId).likes++;
    addMinute(e, 'likes', 1);
  }
  return {
    registers: byKey(
      [...newest].map(([key, e]) => [key, { liked: e.kind === 'LIKE', eventTimeMs: e.eventTimeMs, offset: e.offset }]),
    ),
    items: byKey(items),
    counters: byKey(counters),
    minutes: byKey([...minutes].filter(([key, n]) => n !== 0 && minuteOfKey(key) >= readableFrom)),
  };
}

/** The first minute the 24h window reads once every event has been received. */
const readableFrom = (events: Event[]) => windowStart('24h', Math.max(...events.map((e) => e.receivedAtMs)));

const eventsArb = fc.array(eventSpecArb, { minLength: 1, maxLength: 40, size: 'max' }).map(partitionOf);

describe('counts under any delivery order', () => {
  it('any order, copies and batches: registers, likes, views, unique viewers and counters of the rule, each write once; minute rows the same wherever a window can read', () => {
    fc.assert(
      fc.property(eventsArb, deliveryArb, (events, delivery) => {
        const from = readableFrom(events);
        expect(stateOf(deliver(events, delivery), from)).toEqual(expectedState(events, from));
      }),
      { numRuns: 500 },
    );
  });

  it('with no event late for the 24h window, every minute row is the same, readable or not', () => {
    const onTime = fc
      .array(
        eventSpecArb.filter((s) => s.delayMs < 26 * HOUR),
        { minLength: 1, maxLength: 40, size: 'max' },
      )
      .map(partitionOf);
    fc.assert(
      fc.property(onTime, deliveryArb, deliveryArb, (events, one, other) => {
        expect(events.every((e) => e.windowed)).toBe(true);
        const all = Number.NEGATIVE_INFINITY;
        expect(stateOf(deliver(events, one), all)).toEqual(expectedState(events, all));
        expect(stateOf(deliver(events, other), all)).toEqual(stateOf(deliver(events, one), all));
      }),
      { numRuns: 300 },
    );
  });

  it('the events drawn exercise the rule: ties on event time, copies, events late for 1h and for 24h, late events that matter outside the windows', () => {
    const sample = fc.sample(fc.tuple(eventsArb, deliveryArb), { numRuns: 300, seed: 17 });
    const seen = { ties: 0, copies: 0, late1h: 0, late24h: 0, differOutsideWindows: 0, readableRows: 0 };
    for (const [events, delivery] of sample) {
      const times = new Map<string, number>();
      for (const e of events)
        if (e.kind === 'LIKE' || e.kind === 'UNLIKE')
          times.set(
            `${e.itemId}/${e.userId}/${e.eventTimeMs}`,
            (times.get(`${e.itemId}/${e.userId}/${e.eventTimeMs}`) ?? 0) + 1,
          );
      seen.ties += [...times.values()].filter((n) => n > 1).length;
      seen.copies += delivery.copies.length;
      seen.late1h += events.filter(
        (e) => e.windowed && lateWindows(e.eventTimeMs, e.receivedAtMs, GRACES).length > 0,
      ).length;
      seen.late24h += events.filter((e) => !e.windowed).length;
      const all = Number.NEGATIVE_INFINITY;
      if (
        JSON.stringify(stateOf(deliver(events, delivery), all).minutes) !==
        JSON.stringify(expectedState(events, all).minutes)
      )
        seen.differOutsideWindows++;
      if (expectedState(events, readableFrom(events)).minutes.length > 0) seen.readableRows++;
    }
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(10);
  });
});
