import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Heartbeat } from '@tally/schemas';
import { TestClock } from '@tally/testkit';
import { heartbeat, viewerWorld } from './fixtures/world.js';

const stack = inject('stack');
const start = Date.UTC(2026, 10, 22, 13, 0, 0);
const clock = new TestClock(start + 20_000);
let world: Awaited<ReturnType<typeof viewerWorld>>;

beforeAll(async () => {
  world = await viewerWorld(stack, 'scale', clock);
});

afterAll(async () => {
  await world?.close();
});

const streams = Array.from({ length: 100 }, (_, i) => `stream-${i}`);
// 10,000 sessions over 100 streams of different sizes (1 to 199 viewers), two beats each plus duplicates
const sessionsPer = streams.map((_, i) =>
  i === 99
    ? 10_000 - streams.slice(0, 99).reduce((sum, __, j) => sum + (1 + ((j * 37) % 199)), 0)
    : 1 + ((i * 37) % 199),
);
const beats: Heartbeat[] = streams.flatMap((streamId, i) =>
  Array.from({ length: sessionsPer[i]! }, (_, s) => [
    heartbeat({ streamId, sessionId: `${streamId}-s${s}`, seq: 0, atMs: start + 5_000 + s }),
    heartbeat({ streamId, sessionId: `${streamId}-s${s}`, seq: 1, atMs: start + 10_000 + s }),
  ]).flat(),
);

describe('current viewers at scale', () => {
  it('counts 10,000 sessions over 100 streams exactly, across two instances sharing the work', async () => {
    expect(sessionsPer.reduce((a, b) => a + b, 0)).toBe(10_000);
    const a = await world.start();
    const b = await world.start();
    const duplicates = beats.filter((_, i) => i % 10 === 0);
    await world.send([...beats, ...duplicates].reverse());
    await world.caughtUp();
    for (const [i, streamId] of streams.entries()) {
      expect((await world.viewers(i % 2 ? a : b, streamId)).concurrent, streamId).toBe(sessionsPer[i]);
    }
  });

  it('changes no count when the heartbeat topic is replayed from earliest by a fresh consumer group', async () => {
    const reader = await world.start(`${world.run}-reader`);
    const before = await Promise.all(streams.map(async (s) => (await world.viewers(reader, s)).concurrent));
    const replayGroup = `${world.run}-replay`;
    await world.start(replayGroup);
    await world.caughtUp(replayGroup);
    const after = await Promise.all(streams.map(async (s) => (await world.viewers(reader, s)).concurrent));
    expect(after).toEqual(before);
  });
});
