/**
 * Seed 002, question 2: a popularity ranking that is live, not a batch job's snapshot. Rankings per metric and
 * window must equal a brute-force computation over the same events, also after the windows slide.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ItemEvent } from '@tally/schemas';
import type { RunningMaterializer } from '../src/service.js';
import { TestClock } from '@tally/testkit';
import { bruteForce, random, ranked } from './fixtures/brute-force.js';
import { counterWorld } from './fixtures/world.js';

const stack = inject('stack');
const clock = new TestClock(Date.UTC(2026, 10, 28, 9, 30, 10));
let world: Awaited<ReturnType<typeof counterWorld>>;
let service: RunningMaterializer;
const sent: ItemEvent[] = [];

/** Likes, views (by user, by session, anonymous) and bookings over the 30 hours before `endMs`. */
function mixedEvents(count: number, endMs: number, seed: number): ItemEvent[] {
  const rand = random(seed);
  const events: ItemEvent[] = [];
  for (let i = 0; i < count; i++) {
    const atMs = Math.floor(endMs - rand() * 30 * 3_600_000);
    const itemId = `show-${String(Math.floor(60 * rand() ** 1.5)).padStart(2, '0')}`;
    const user = `u${Math.floor(rand() * 400)}`;
    const r = rand();
    const base = {
      source: `src-${seed}-${Math.floor(rand() * 20)}`,
      seq: 0,
      itemId,
      userId: null,
      sessionId: null,
      counter: null,
      by: 1,
      atMs,
      receivedAtMs: atMs,
    };
    if (r < 0.4) events.push({ ...base, kind: rand() < 0.85 ? 'LIKE' : 'UNLIKE', userId: user });
    else if (r < 0.55) events.push({ ...base, kind: 'VIEW', userId: user });
    else if (r < 0.75) events.push({ ...base, kind: 'VIEW', sessionId: `s${Math.floor(rand() * 300)}` });
    else if (r < 0.85) events.push({ ...base, kind: 'VIEW' });
    else events.push({ ...base, kind: 'INCREMENT', counter: 'bookings', by: 1 + Math.floor(rand() * 4) });
  }
  // each source numbers its writes; every 10th write is also delivered twice
  const next = new Map<string, number>();
  for (const e of events) {
    e.seq = next.get(e.source) ?? 0;
    next.set(e.source, e.seq + 1);
  }
  return events.flatMap((e, i) => (i % 10 === 0 ? [e, { ...e }] : [e]));
}

async function expectMatchesBruteForce() {
  const expected = bruteForce(sent, clock.nowMs);
  for (const window of ['1h', '24h', 'all'] as const) {
    const metrics = {
      likes: expected[window].likes,
      views: expected[window].views,
      bookings: expected[window].counters.get('bookings') ?? new Map(),
    };
    for (const [metric, scores] of Object.entries(metrics)) {
      const { body } = await world.ranking(service, metric, window);
      expect(body, `${metric} ranking, window ${window}`).toEqual(ranked(scores));
    }
  }
  for (let i = 0; i < 60; i++) {
    const itemId = `show-${String(i).padStart(2, '0')}`;
    const { body } = await world.counts(service, itemId);
    expect(body, itemId).toEqual({
      itemId,
      likes: expected.all.likes.get(itemId) ?? 0,
      views: expected.all.views.get(itemId) ?? 0,
      uniqueViewers: expected.uniqueViewers.get(itemId)?.size ?? 0,
      counters: expected.all.counters.get('bookings')?.has(itemId)
        ? { bookings: expected.all.counters.get('bookings')!.get(itemId) }
        : {},
      asOf: expect.any(Number),
    });
  }
}

beforeAll(async () => {
  world = await counterWorld(stack, 'rankings', clock);
  service = await world.start();
}, 120_000);

afterAll(async () => {
  await world?.close();
});

describe('rankings and views', () => {
  it('match brute force for likes, views and a named counter in every window; uniqueViewers exact', async () => {
    sent.push(...mixedEvents(20_000, clock.nowMs, 7));
    await world.send(sent);
    await world.caughtUp();
    await expectMatchesBruteForce();
  });

  it('age old events out as the windows slide, and take new ones in', async () => {
    clock.nowMs += 95 * 60_000;
    await service.maintain();
    await expectMatchesBruteForce();
    const fresh = mixedEvents(3000, clock.nowMs, 8).map((e) => ({
      ...e,
      atMs: clock.nowMs - (e.atMs % 3_000_000),
      receivedAtMs: clock.nowMs,
    }));
    sent.push(...fresh);
    await world.send(fresh);
    await world.caughtUp();
    clock.nowMs += 20 * 60_000;
    await service.maintain();
    await expectMatchesBruteForce();
  });

  it('clamps a client clock ahead of the gateway: the event counts at its receipt time', async () => {
    const future = [
      {
        source: 'clock-test',
        seq: 0,
        itemId: 'show-future',
        kind: 'INCREMENT' as const,
        userId: null,
        sessionId: null,
        counter: 'bookings',
        by: 5,
        atMs: clock.nowMs + 86_400_000,
        receivedAtMs: clock.nowMs - 120 * 60_000,
      },
    ];
    sent.push(...future);
    await world.send(future);
    await world.caughtUp();
    const expected = bruteForce(sent, clock.nowMs);
    expect(expected['1h'].counters.get('bookings')?.get('show-future')).toBeUndefined();
    expect(
      (await world.ranking(service, 'bookings', '1h')).body.find((r) => r.itemId === 'show-future'),
    ).toBeUndefined();
    expect((await world.ranking(service, 'bookings', '24h')).body.find((r) => r.itemId === 'show-future')?.score).toBe(
      5,
    );
  });

  it('answers bad ranking and item requests with 400 and the error shape', async () => {
    for (const path of [
      '/v1/rankings/likes?window=7d',
      '/v1/rankings/likes?limit=0',
      '/v1/rankings/likes?limit=101',
      '/v1/rankings/Likes',
      '/v1/rankings/likes?extra=1',
      '/v1/items/a%20b/counts',
    ]) {
      const response = await fetch(`http://127.0.0.1:${service.port}${path}`);
      expect(response.status, path).toBe(400);
      expect(await response.json(), path).toMatchObject({
        error: 'invalid_request',
        message: expect.any(String),
        details: expect.any(Array),
      });
    }
  });
});
