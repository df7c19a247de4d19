/**
 * Counters and rankings end to end, as deployed: ingest-gateway and counter-materializer as their own
 * processes against the real Kafka, schema registry, Redis and Postgres; clients talk only to the gateway.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTopicsWithSchemas,
  freePort,
  stackEnvironment,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@tally/testkit';

import { TOPICS } from '@tally/contracts';
import { groupCaughtUp, postStatus } from './fixtures/gateway.js';
const stack = inject('stack');
const run = uniqueName('e2e-counters');
const group = `${run}-materializer`;
const topics = { events: `test.${run}.item-events`, deadLetters: `test.${run}.dead-letters` };
const apiKey = { key: 'e2e-counters-key-0123456789abcdef', name: 'e2e-counters', scopes: ['counters:write'] };
const running: ServiceProcess[] = [];
let gateway: ServiceProcess;
let materializerPort: number;

async function startMaterializer(): Promise<ServiceProcess> {
  const service = await startServiceProcess('counter-materializer', {
    ...stackEnvironment(stack),
    PORT: String(materializerPort),
    CONSUMER_GROUP: group,
    ITEM_EVENTS_TOPIC: topics.events,
    DLQ_TOPIC: topics.deadLetters,
    REDIS_PREFIX: `test:${run}`,
    DB_SCHEMA: run.replace(/[^a-z0-9]/g, '_'),
    // a killed instance's partitions move after this, not after the 30 s default
    KAFKA_SESSION_TIMEOUT_MS: '8000',
  });
  running.push(service);
  return service;
}

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.events, partitions: 6, schema: TOPICS.itemEvents.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  ]);
  materializerPort = await freePort();
  await startMaterializer();
  gateway = await startServiceProcess('ingest-gateway', {
    ...stackEnvironment(stack),
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey]),
    ITEM_EVENTS_TOPIC: topics.events,
    COUNTER_MATERIALIZER_URL: `http://127.0.0.1:${materializerPort}`,
  });
  running.push(gateway);
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop('SIGTERM')));
});

const post = (path: string, body: unknown) => postStatus(gateway.url, apiKey.key, path, body);

async function read<T>(path: string): Promise<T> {
  const response = await fetch(`${gateway.url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function caughtUp(): Promise<void> {
  expect(await groupCaughtUp(stack.brokers, group, topics.events), `group ${group} caught up`).toBe(true);
}

describe('counters and rankings through the gateway', () => {
  it('likes with retries and unlikes, views and a counter: counts and rankings read through the gateway', async () => {
    const writes: [string, unknown][] = [
      ['/v1/items/song-a/likes', { source: 'alice-phone', seq: 1, userId: 'alice', liked: true }],
      ['/v1/items/song-a/likes', { source: 'alice-phone', seq: 1, userId: 'alice', liked: true }], // a client retry
      ['/v1/items/song-a/likes', { source: 'bob-phone', seq: 1, userId: 'bob', liked: true }],
      ['/v1/items/song-b/likes', { source: 'bob-phone', seq: 2, userId: 'bob', liked: true }],
      ['/v1/items/song-b/likes', { source: 'carol-phone', seq: 1, userId: 'carol', liked: true }],
      ['/v1/items/song-b/likes', { source: 'dave-phone', seq: 1, userId: 'dave', liked: true }],
      ['/v1/items/song-b/likes', { source: 'dave-phone', seq: 2, userId: 'dave', liked: false }],
      ['/v1/items/song-a/views', { source: 'web', seq: 1, userId: 'alice' }],
      ['/v1/items/song-a/views', { source: 'web', seq: 2, userId: 'alice' }],
      ['/v1/items/song-a/views', { source: 'web', seq: 3, sessionId: 'anon-1' }],
      ['/v1/items/song-a/counters/bookings', { source: 'box-office', seq: 1, by: 3 }],
      ['/v1/items/song-a/counters/bookings', { source: 'box-office', seq: 1, by: 3 }], // a client retry
    ];
    // one at a time: a like and its unlike must reach Kafka in the order they were made
    for (const [path, body] of writes) expect(await post(path, body)).toBe(202);
    await caughtUp();

    expect(await read('/v1/items/song-a/counts')).toMatchObject({
      itemId: 'song-a',
      likes: 2,
      views: 3,
      uniqueViewers: 2,
      counters: { bookings: 3 },
    });
    expect(await read('/v1/items/song-b/counts')).toMatchObject({
      itemId: 'song-b',
      likes: 2,
      views: 0,
      uniqueViewers: 0,
      counters: {},
    });
    expect(await read('/v1/rankings/likes?window=1h')).toEqual([
      { itemId: 'song-a', score: 2, rank: 1 },
      { itemId: 'song-b', score: 2, rank: 2 },
    ]);
    expect(await read('/v1/rankings/bookings')).toEqual([{ itemId: 'song-a', score: 3, rank: 1 }]);
  });

  it('counter-materializer killed with SIGKILL mid-stream and restarted: every like counted once', async () => {
    const items = 20;
    const users = 50;
    const likes = Array.from({ length: items * users }, (_, i) => ({
      item: `crash-${i % items}`,
      body: { source: `fan-${Math.floor(i / items)}`, seq: i, userId: `fan-${Math.floor(i / items)}`, liked: true },
    }));
    const sendAll = async (slice: typeof likes) => {
      for (let i = 0; i < slice.length; i += 50) {
        const statuses = await Promise.all(
          slice.slice(i, i + 50).map((l) => post(`/v1/items/${l.item}/likes`, l.body)),
        );
        expect(statuses.every((s) => s === 202)).toBe(true);
      }
    };
    await sendAll(likes.slice(0, 400));
    await running.find((s) => s.name === 'counter-materializer')!.stop('SIGKILL');
    await sendAll(likes.slice(400));
    await sendAll(likes.slice(0, 100)); // and some retries after the crash
    await startMaterializer();
    await caughtUp();
    const counts = await Promise.all(
      Array.from({ length: items }, (_, i) => read<{ likes: number }>(`/v1/items/crash-${i}/counts`)),
    );
    expect(counts.map((c) => c.likes)).toEqual(Array(items).fill(users));
  });
});
