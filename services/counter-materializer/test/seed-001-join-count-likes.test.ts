/**
 * Seed 001: counting likes with JOIN + COUNT took more than 10 s at 500k likes; the fix (Redis INCR flushed
 * to MySQL every minute under READ UNCOMMITTED, SQL built by string formatting) traded correctness for speed.
 * Here: 500,000 like events, exact, from Redis in O(1); durable in Postgres; back exactly after FLUSHALL; and a
 * replay of the whole topic changes nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ItemEvent } from '@tally/schemas';
import type { RunningMaterializer } from '../src/service.js';
import { TestClock } from '@tally/testkit';
import { bruteForce, random, ranked } from './fixtures/brute-force.js';
import { counterWorld } from './fixtures/world.js';
import { flushAll } from '@tally/storage';

const stack = inject('stack');
const clock = new TestClock(Date.UTC(2026, 10, 28, 12, 0, 30));
let world: Awaited<ReturnType<typeof counterWorld>>;
let service: RunningMaterializer;

const ITEMS = 1000;
const USERS = 50_000;
const EVENTS = 450_000;
const DUPLICATES = 50_000;
const HOURS = 30;

/** 450,000 likes and unlikes (8%) over 30 hours, skewed to popular items, sent shuffled, plus 50,000 resent. */
function likeEvents(): ItemEvent[] {
  const rand = random(1);
  const seqOf = new Map<number, number>();
  const start = clock.nowMs - HOURS * 3_600_000;
  const step = (HOURS * 3_600_000) / EVENTS;
  const events: ItemEvent[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const user = Math.floor(rand() * USERS);
    const seq = seqOf.get(user) ?? 0;
    seqOf.set(user, seq + 1);
    const atMs = Math.floor(start + i * step);
    events.push({
      source: `user-${user}`,
      seq,
      itemId: `item-${String(Math.floor(ITEMS * rand() ** 2)).padStart(4, '0')}`,
      kind: rand() < 0.08 ? 'UNLIKE' : 'LIKE',
      userId: `user-${user}`,
      sessionId: null,
      counter: null,
      by: 1,
      atMs,
      receivedAtMs: atMs,
    });
  }
  // reordered delivery: swap each event with one up to 200 places away
  for (let i = 0; i < events.length; i++) {
    const j = Math.min(events.length - 1, i + Math.floor(rand() * 200));
    [events[i], events[j]] = [events[j]!, events[i]!];
  }
  for (let d = 0; d < DUPLICATES; d++)
    events.splice(Math.floor(rand() * events.length), 0, events[Math.floor(rand() * events.length)]!);
  return events;
}

const sent = likeEvents();
const expected = bruteForce(sent, clock.nowMs);

async function allCounts(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const ids = Array.from({ length: ITEMS }, (_, i) => `item-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < ids.length; i += 50) {
    const page = await Promise.all(ids.slice(i, i + 50).map((id) => world.counts(service, id)));
    for (const { body } of page) if (body.likes > 0) counts.set(body.itemId, body.likes);
  }
  return counts;
}

async function rankingsMatchBruteForce() {
  for (const window of ['1h', '24h', 'all'] as const) {
    const { status, body } = await world.ranking(service, 'likes', window);
    expect(status).toBe(200);
    expect(body, `likes ranking, window ${window}`).toEqual(ranked(expected[window].likes));
  }
}

beforeAll(async () => {
  world = await counterWorld(stack, 'seed-001', clock);
  service = await world.start();
  await world.send(sent);
  await world.caughtUp();
}, 600_000);

afterAll(async () => {
  await world?.close();
});

describe('seed 001: likes counted by JOIN + COUNT', () => {
  it('counts 500,000 likes of 50,000 users on 1,000 items exactly, with 10% duplicates and some unlikes', async () => {
    expect(sent).toHaveLength(EVENTS + DUPLICATES);
    expect(await allCounts()).toEqual(expected.all.likes);
    await rankingsMatchBruteForce();
    const { rows } = await world.pool.query(`SELECT sum(likes)::bigint AS likes FROM ${world.schema}.items`);
    expect(Number(rows[0].likes)).toBe([...expected.all.likes.values()].reduce((a, b) => a + b, 0));
  });

  it('gives the same counts and rankings after FLUSHALL: from Postgres at once, then from Redis rebuilt', async () => {
    // the real thing, not a scoped delete: integration test files run one at a time
    await flushAll(world.redis);
    expect(await allCounts()).toEqual(expected.all.likes);
    await rankingsMatchBruteForce();
    await service.maintain();
    expect(await world.redis.exists(`test:${world.run}:{item:item-0000}`)).toBe(1);
    expect(await allCounts()).toEqual(expected.all.likes);
    await rankingsMatchBruteForce();
  });

  it('changes nothing when the topic is replayed from earliest by a fresh consumer group into the same state', async () => {
    const replayGroup = `${world.run}-replay`;
    const replaying = await world.start(replayGroup);
    await world.caughtUp(replayGroup);
    await replaying.close();
    expect(await allCounts()).toEqual(expected.all.likes);
    await rankingsMatchBruteForce();
  });
});
