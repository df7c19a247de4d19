/**
 * Live viewers end to end, as deployed: ingest-gateway and viewer-aggregator run as their own processes from
 * their main.ts, against the real Kafka, schema registry, Redis and Postgres. Clients talk only to the
 * gateway: writes go through Kafka to the aggregator, reads are routed by the gateway to it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTopicsWithSchemas,
  eventually,
  freePort,
  stackEnvironment,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@tally/testkit';

import { TOPICS } from '@tally/contracts';
import { groupCaughtUp, postStatus } from './fixtures/gateway.js';
const stack = inject('stack');
const run = uniqueName('e2e-viewers');
const group = `${run}-aggregator`;
const topics = {
  heartbeats: `test.${run}.heartbeats`,
  counts: `test.${run}.counts`,
  deadLetters: `test.${run}.dead-letters`,
};
const apiKey = { key: 'e2e-writer-key-0123456789abcdef', name: 'e2e-writer', scopes: ['viewers:write'] };
const running: ServiceProcess[] = [];
let gateway: ServiceProcess;
let aggregatorPort: number;

const aggregatorEnv = () => ({
  ...stackEnvironment(stack),
  CONSUMER_GROUP: group,
  HEARTBEATS_TOPIC: topics.heartbeats,
  COUNTS_TOPIC: topics.counts,
  DLQ_TOPIC: topics.deadLetters,
  REDIS_PREFIX: `test:${run}`,
  DB_SCHEMA: run.replace(/[^a-z0-9]/g, '_'),
  // long enough that a crash and restart inside one test cannot age the sessions out
  VIEWER_WINDOW_SECONDS: '300',
  // a killed instance's partitions move after this, not after the 30 s default
  KAFKA_SESSION_TIMEOUT_MS: '8000',
});

async function startAggregator(port = aggregatorPort): Promise<ServiceProcess> {
  const service = await startServiceProcess('viewer-aggregator', { ...aggregatorEnv(), PORT: String(port) });
  running.push(service);
  return service;
}

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.heartbeats, partitions: 6, schema: TOPICS.viewerHeartbeats.valueSchema },
    { name: topics.counts, partitions: 3, schema: TOPICS.viewerCounts.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  ]);
  aggregatorPort = await freePort();
  await startAggregator();
  gateway = await startServiceProcess('ingest-gateway', {
    ...stackEnvironment(stack),
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey]),
    HEARTBEATS_TOPIC: topics.heartbeats,
    VIEWER_AGGREGATOR_URL: `http://127.0.0.1:${aggregatorPort}`,
  });
  running.push(gateway);
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop('SIGTERM')));
});

const post = (path: string, body: unknown) => postStatus(gateway.url, apiKey.key, path, body);

async function viewers(streamId: string): Promise<number> {
  const response = await fetch(`${gateway.url}/v1/streams/${streamId}/viewers`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { concurrent: number }).concurrent;
}

async function caughtUp(): Promise<void> {
  expect(await groupCaughtUp(stack.brokers, group, topics.heartbeats), `group ${group} caught up`).toBe(true);
}

/** Deterministic shuffle (a linear congruential generator), so a failure can be replayed. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('live viewers through the gateway', () => {
  it('five players, shuffled and duplicated, read exactly 5 through the gateway; ended removes one at once', async () => {
    const now = Date.now();
    // 5 players × 4 heartbeats 5 s apart, the newest 1 s ago; every one sent twice, all in shuffled order
    const beats = Array.from({ length: 5 }, (_, player) =>
      Array.from({ length: 4 }, (_, k) => ({
        source: `player-${player}`,
        seq: k,
        sessionId: `session-${player}`,
        positionMs: k * 5000,
        at: now - 16_000 + k * 5000,
      })),
    ).flat();
    const deliveries = shuffled([...beats, ...beats]);
    // half through the single route, half through the batch route
    const statuses = await Promise.all(deliveries.slice(0, 20).map((b) => post('/v1/streams/stage/heartbeats', b)));
    expect(statuses.every((s) => s === 202)).toBe(true);
    expect(
      await post('/v1/heartbeats/batch', { items: deliveries.slice(20).map((b) => ({ streamId: 'stage', ...b })) }),
    ).toBe(200);
    await caughtUp();

    const polls: number[] = [];
    for (let i = 0; i < 10; i++) {
      polls.push(await viewers('stage'));
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(polls).toEqual(Array(10).fill(5));

    const day = new Date(now).setUTCHours(0, 0, 0, 0);
    const history = await fetch(
      `${gateway.url}/v1/streams/stage/viewers/history?from=${day}&to=${day + 86_400_000}&granularity=day`,
    );
    expect(history.status).toBe(200);
    const { buckets } = (await history.json()) as {
      buckets: { heartbeats: number; uniqueViewers: number; peakConcurrent: number }[];
    };
    expect(buckets.map((b) => [b.heartbeats, b.uniqueViewers, b.peakConcurrent])).toEqual([[20, 5, 5]]);

    expect(
      await post('/v1/streams/stage/heartbeats', {
        source: 'player-0',
        seq: 4,
        sessionId: 'session-0',
        positionMs: 20_000,
        state: 'ended',
      }),
    ).toBe(202);
    expect(await eventually(async () => (await viewers('stage')) === 4, 10_000, 20)).toBe(true);
  });

  it('the aggregator killed with SIGKILL mid-stream and restarted beside a second instance: every count exact', async () => {
    const streams = 40;
    const sessionsPerStream = 25;
    const items = Array.from({ length: streams * sessionsPerStream }, (_, i) => ({
      streamId: `crash-${i % streams}`,
      source: 'crash-test',
      seq: i,
      sessionId: `crash-session-${i}`,
      positionMs: 0,
    }));
    const sendChunks = async (chunk: typeof items) => {
      for (let i = 0; i < chunk.length; i += 250)
        expect(await post('/v1/heartbeats/batch', { items: chunk.slice(i, i + 250) })).toBe(200);
    };
    await sendChunks(items.slice(0, 500));
    await running.find((s) => s.name === 'viewer-aggregator')!.stop('SIGKILL');
    await sendChunks(items.slice(500));
    await Promise.all([startAggregator(), startAggregator(await freePort())]);
    await caughtUp();

    const counts = await Promise.all(Array.from({ length: streams }, (_, s) => viewers(`crash-${s}`)));
    expect(counts).toEqual(Array(streams).fill(sessionsPerStream));
  });
});
