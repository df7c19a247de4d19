/**
 * The other half of seed 000: the database was overloaded by a statement per heartbeat. History is written
 * per (stream, minute) per batch, behind the offset fence, and rolled up per hour and day from the minutes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Heartbeat } from '@tally/schemas';
import { withAdmin } from '@tally/testkit';
import type { RunningAggregator } from '../src/service.js';
import { TestClock, heartbeat, viewerWorld } from './fixtures/world.js';

const stack = inject('stack');
const hour = Date.UTC(2026, 10, 22, 14, 0, 0);
const clock = new TestClock(hour);
let world: Awaited<ReturnType<typeof viewerWorld>>;
let service: RunningAggregator;

beforeAll(async () => {
  world = await viewerWorld(stack, 'history', clock);
  service = await world.start();
});

afterAll(async () => {
  await world?.close();
});

async function history(from: number, to: number, granularity: string) {
  const response = await fetch(`http://127.0.0.1:${service.port}/v1/streams/show/viewers/history?from=${from}&to=${to}&granularity=${granularity}`);
  return { status: response.status, body: (await response.json()) as { buckets: { start: string; peakConcurrent: number; uniqueViewers: number; heartbeats: number }[] } };
}

describe('viewer history', () => {
  it('keeps heartbeats, unique viewers and peak concurrency per minute, and rolls them up per hour and day', async () => {
    // minute 0: sessions a, b, c (a twice); minute 1: a and d; minute 61 (next hour): e
    const beats: Heartbeat[] = [
      heartbeat({ streamId: 'show', sessionId: 'a', seq: 0, atMs: hour + 1000 }),
      heartbeat({ streamId: 'show', sessionId: 'a', seq: 1, atMs: hour + 6000 }),
      heartbeat({ streamId: 'show', sessionId: 'b', seq: 0, atMs: hour + 2000 }),
      heartbeat({ streamId: 'show', sessionId: 'c', seq: 0, atMs: hour + 3000 }),
    ];
    clock.nowMs = hour + 10_000;
    await world.send(beats);
    await world.caughtUp();
    clock.nowMs = hour + 65_000;
    await world.send([heartbeat({ streamId: 'show', sessionId: 'a', seq: 2, atMs: hour + 61_000 }), heartbeat({ streamId: 'show', sessionId: 'd', seq: 0, atMs: hour + 62_000 })]);
    await world.caughtUp();
    clock.nowMs = hour + 3_605_000;
    await world.send([heartbeat({ streamId: 'show', sessionId: 'e', seq: 0, atMs: hour + 3_601_000 })]);
    await world.caughtUp();

    const minutes = await history(hour, hour + 2 * 3_600_000, 'minute');
    expect(minutes.status).toBe(200);
    expect(minutes.body.buckets.map((b) => [b.start, b.heartbeats, b.uniqueViewers])).toEqual([
      [new Date(hour).toISOString(), 4, 3],
      [new Date(hour + 60_000).toISOString(), 2, 2],
      [new Date(hour + 3_600_000).toISOString(), 1, 1],
    ]);
    // peak concurrency is observed when batches are applied: 3 in minute 0; 2 in minute 1 (a and d: b and c
    // beat last more than 30 s before)
    expect(minutes.body.buckets.slice(0, 2).map((b) => b.peakConcurrent)).toEqual([3, 2]);

    const hours = await history(hour, hour + 2 * 3_600_000, 'hour');
    expect(hours.body.buckets.map((b) => [b.heartbeats, b.uniqueViewers, b.peakConcurrent])).toEqual([
      [6, 4, 3],
      [1, 1, 1],
    ]);
    const days = await history(hour - 14 * 3_600_000, hour + 10 * 3_600_000, 'day');
    expect(days.body.buckets.map((b) => [b.start, b.heartbeats, b.uniqueViewers])).toEqual([[new Date(Date.UTC(2026, 10, 22)).toISOString(), 7, 5]]);
  });

  it('adds nothing to history when the topic is replayed', async () => {
    const before = await history(hour, hour + 2 * 3_600_000, 'minute');
    // the same group, stopped and rewound to earliest: every heartbeat comes again, through the offset fence
    await service.close();
    await withAdmin(stack.brokers, (a) => a.resetOffsets({ groupId: `${world.run}-group`, topic: world.topics.heartbeats, earliest: true }));
    service = await world.start();
    await world.caughtUp();
    expect(await history(hour, hour + 2 * 3_600_000, 'minute')).toEqual(before);
  });

  it('answers bad ranges with 400 and the error shape', async () => {
    for (const query of ['from=5&to=1', 'from=x&to=1', 'to=1', `from=0&to=${100 * 86_400_000}&granularity=minute`, 'from=0&to=1&granularity=week', 'from=0&to=1&extra=1']) {
      const response = await fetch(`http://127.0.0.1:${service.port}/v1/streams/show/viewers/history?${query}`);
      expect(response.status, query).toBe(400);
      expect(Object.keys((await response.json()) as object).sort(), query).toEqual(['details', 'error', 'message']);
    }
  });
});
