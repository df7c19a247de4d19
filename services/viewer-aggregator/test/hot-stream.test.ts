/**
 * A hot stream spread over shards (VIEWER_STREAM_SHARDS), end to end through the service: its heartbeats keyed by
 * session shard as the gateway keys them, so they land on several partitions consumed by two instances side by
 * side; the count read over HTTP, the count announced on the count topic and the minute history all equal those
 * of the same heartbeats on a stream of one shard, duplicated and out of order, and a replay changes nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sessionShard } from '@tally/contracts';
import { createSchemaRegistry, topicCodec, type Heartbeat } from '@tally/schemas';
import { TestClock, eventually, readRecords, withAdmin } from '@tally/testkit';
import { heartbeat, viewerWorld } from './fixtures/world.js';

const stack = inject('stack');
const start = Date.UTC(2026, 11, 4, 20, 0, 0);
const clock = new TestClock(start + 20_000);
const SHARDS = 8;
const SESSIONS = 2_000;
const ENDED = 100;
let world: Awaited<ReturnType<typeof viewerWorld>>;

beforeAll(async () => {
  world = await viewerWorld(stack, 'hot', clock, { streamShards: `hot=${SHARDS}` });
});

afterAll(async () => {
  await world?.close();
});

/**
 * The same sessions on the hot stream and on a stream of one shard (each stream's players are sources of their own):
 * two beats each, the first ENDED ones' second beat an end.
 */
const beatsOf = (streamId: string): Heartbeat[] =>
  Array.from({ length: SESSIONS }, (_, s) => [
    heartbeat({ streamId, sessionId: `sess-${s}`, source: `${streamId}-player-${s}`, seq: 0, atMs: start + 5_000 + s }),
    heartbeat({
      streamId,
      sessionId: `sess-${s}`,
      source: `${streamId}-player-${s}`,
      seq: 1,
      atMs: start + 10_000 + s,
      ...(s < ENDED ? { state: 'ENDED' as const } : {}),
    }),
  ]).flat();

describe('a hot stream over shards', () => {
  it('is spread over several partitions and counted exactly, as the same heartbeats on one shard', async () => {
    const a = await world.start();
    const b = await world.start();
    const beats = [...beatsOf('hot'), ...beatsOf('cold')];
    const duplicates = beats.filter((_, i) => i % 7 === 0);
    await world.send([...beats, ...duplicates].reverse());
    await world.caughtUp();

    const offsets = await withAdmin(stack.brokers, (admin) => admin.fetchTopicOffsets(world.topics.heartbeats));
    const used = offsets.filter((p) => Number(p.high) > 0).length;
    expect(used).toBeGreaterThanOrEqual(4); // 8 shards and 1 cold stream over 6 partitions
    expect(new Set(Array.from({ length: SESSIONS }, (_, s) => sessionShard(`sess-${s}`, SHARDS))).size).toBe(SHARDS);

    const expected = SESSIONS - ENDED;
    for (const service of [a, b]) {
      expect((await world.viewers(service, 'hot')).concurrent).toBe(expected);
      expect((await world.viewers(service, 'cold')).concurrent).toBe(expected);
    }

    // the count topic: one announcer for the hot stream, whose newest count is the exact one (its tick catches
    // what the other shards' batches changed)
    const registry = createSchemaRegistry(stack.registryUrl);
    const codec = topicCodec(registry, world.topics.counts, 'tally.viewers.ViewerCountChanged');
    const lastCount = async (streamId: string) => {
      const ends = await withAdmin(stack.brokers, (admin) => admin.fetchTopicOffsets(world.topics.counts));
      const total = ends.reduce((n, p) => n + Number(p.high), 0);
      const records = await readRecords(stack.brokers, world.topics.counts, codec, total);
      return records.filter((r) => r.streamId === streamId).at(-1)?.concurrent;
    };
    expect(await eventually(async () => (await lastCount('hot')) === expected, 20_000, 500)).toBe(true);
    expect(await lastCount('cold')).toBe(expected);

    // the minute history: heartbeats once each (duplicates not), every session a unique viewer, the same peak
    const history = async (streamId: string) => {
      const reply = await fetch(
        `http://127.0.0.1:${a.port}/v1/streams/${streamId}/viewers/history?from=${start}&to=${start + 3_600_000}`,
      );
      return ((await reply.json()) as { buckets: unknown[] }).buckets;
    };
    const hot = await history('hot');
    expect(hot).toEqual(await history('cold'));
    expect(hot).toEqual([
      {
        start: new Date(start).toISOString(),
        peakConcurrent: SESSIONS,
        uniqueViewers: SESSIONS,
        heartbeats: 2 * SESSIONS,
      },
    ]);
  });

  it('changes no count and no history when the topic is replayed from earliest by a fresh consumer group', async () => {
    const reader = await world.start(`${world.run}-reader`);
    const before = (await world.viewers(reader, 'hot')).concurrent;
    const replayGroup = `${world.run}-replay`;
    await world.start(replayGroup);
    await world.caughtUp(replayGroup);
    expect((await world.viewers(reader, 'hot')).concurrent).toBe(before);
    const reply = await fetch(
      `http://127.0.0.1:${reader.port}/v1/streams/hot/viewers/history?from=${start}&to=${start + 3_600_000}`,
    );
    const { buckets } = (await reply.json()) as { buckets: { heartbeats: number; peakConcurrent: number }[] };
    expect(buckets).toMatchObject([{ heartbeats: 2 * SESSIONS, peakConcurrent: SESSIONS }]);
  });
});
