/**
 * Counters benchmark on this machine (not a test: it prints numbers). In one run, on the same data:
 *   1. counter-materializer (as its own process) drains 500,000 like events from a fresh topic: events/s
 *      processed, from its first processed record to lag 0;
 *   2. GET /v1/items/{id}/counts p50/p99 against it, for random items;
 *   3. the naive way of seed 001: a row per like, and a JOIN + COUNT per read, without an index on the
 *      like table (as in the seed) and with one; plus single-row INSERTs per event for the write side.
 * Usage: pnpm bench:counters [--events 500000] [--reads 2000]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@tally/observability';
import { createSchemaRegistry, topicCodec, type ItemEvent } from '@tally/schemas';
import { stackEndpoints, stackUp } from '@tally/stack';
import { createPool, createRedis } from '@tally/storage';
import { TypedProducer, consumerLag, createKafka } from '@tally/streaming';
import { createTopicsWithSchemas, stackEnvironment, startServiceProcess } from '@tally/testkit';

const { values: args } = parseArgs({ options: { events: { type: 'string', default: '500000' }, reads: { type: 'string', default: '2000' } } });
const EVENTS = Number(args.events);
const READS = Number(args.reads);
const ITEMS = 1000;
const USERS = 50_000;
const run = `bench_${Date.now().toString(36)}`;
const topic = `bench.${run}.item-events`;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => +n.toFixed(2);
const results: Record<string, string | number> = { run, events: EVENTS };
const note = (name: string, value: string | number) => {
  results[name] = value;
  console.log(`  ${name.padEnd(58)} ${value}`);
};

/** Likes (92%) and unlikes over 1,000 items skewed to popular ones, 10% of them sent twice. */
function likeEvents(): ItemEvent[] {
  const events: ItemEvent[] = [];
  const now = Date.now();
  for (let i = 0; events.length < EVENTS; i++) {
    const user = Math.floor(Math.random() * USERS);
    const atMs = now - (EVENTS - i) * 10;
    const event: ItemEvent = {
      source: `user-${user}`,
      seq: i,
      itemId: `item-${Math.floor(ITEMS * Math.random() ** 2)}`,
      kind: Math.random() < 0.08 ? 'UNLIKE' : 'LIKE',
      userId: `user-${user}`,
      sessionId: null,
      counter: null,
      by: 1,
      atMs,
      receivedAtMs: atMs,
    };
    events.push(event);
    if (Math.random() < 0.1 && events.length < EVENTS) events.push(event);
  }
  return events;
}

async function timeReads(count: number, read: (itemId: string) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const itemId = `item-${Math.floor(ITEMS * Math.random() ** 2)}`;
    const t = performance.now();
    await read(itemId);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

async function main() {
  await stackUp(() => undefined);
  const endpoints = stackEndpoints();
  const stack = { brokers: endpoints.brokers, registryUrl: endpoints.registryUrl, redisUrl: endpoints.redisUrl, databaseUrl: endpoints.databaseUrl, origin: 'local stack (already running)' as const };
  console.log(`counters benchmark ${run} (this machine: every component shares its 2 cores)`);
  await createTopicsWithSchemas(stack, [{ name: topic, partitions: 12, schema: 'tally.counters.ItemEvent' }]);
  const kafka = createKafka({ brokers: stack.brokers, clientId: 'bench', logger: createLogger('bench', 'warn') });
  const producer = new TypedProducer(kafka, { lingerMs: 5 });
  await producer.connect();
  const codec = topicCodec(createSchemaRegistry(stack.registryUrl), topic, 'tally.counters.ItemEvent');
  const events = likeEvents();
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += 20_000) await producer.sendAll(codec, events.slice(i, i + 20_000).map((value) => ({ key: value.itemId, value })));
  note('events produced to Kafka (client, acks=all), events/s', Math.round(events.length / ((performance.now() - t0) / 1000)));
  await producer.disconnect();

  const group = `${run}-group`;
  const service = await startServiceProcess('counter-materializer', {
    ...stackEnvironment(stack),
    LOG_LEVEL: 'warn',
    CONSUMER_GROUP: group,
    ITEM_EVENTS_TOPIC: topic,
    REDIS_PREFIX: `tally:${run}`,
    DB_SCHEMA: run,
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')).map(([k, v]) => [k.slice(6), v!])),
  });
  const admin = kafka.admin();
  await admin.connect();
  const processed = async () => {
    const text = await (await fetch(`${service.url}/metrics`)).text();
    return [...text.matchAll(/^tally_records_processed_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  };
  let first = 0;
  for (;;) {
    const done = await processed();
    if (done > 0 && first === 0) first = performance.now();
    if (done > 0 && (await consumerLag(admin, group, [topic])).every((p) => p.lag === 0)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  note(`counter-materializer: events/s processed (${EVENTS} backlog)`, Math.round((await processed()) / ((performance.now() - first) / 1000)));
  await admin.disconnect();

  const ours = await timeReads(READS, async (id) => (await fetch(`${service.url}/v1/items/${id}/counts`)).json());
  note('GET counts (HTTP, from Redis): p50 / p99 ms', `${ms(percentile(ours, 50))} / ${ms(percentile(ours, 99))}`);

  // the naive way, on the same likes: a row per like, and a JOIN + COUNT per read
  const pool = createPool(stack.databaseUrl);
  const naive = `naive_${run}`;
  await pool.query(`CREATE SCHEMA ${naive}`);
  await pool.query(`CREATE TABLE ${naive}.video (id text PRIMARY KEY)`);
  await pool.query(`CREATE TABLE ${naive}.video_like (video_id text NOT NULL, user_name text NOT NULL)`);
  await pool.query(`INSERT INTO ${naive}.video SELECT 'item-' || g FROM generate_series(0, ${ITEMS - 1}) g`);
  const { rows: liked } = await pool.query(`SELECT item_id, user_id FROM ${run}.item_likes WHERE liked`);
  for (let i = 0; i < liked.length; i += 10_000) {
    const page = liked.slice(i, i + 10_000);
    await pool.query(`INSERT INTO ${naive}.video_like SELECT * FROM unnest($1::text[], $2::text[])`, [page.map((r) => r.item_id), page.map((r) => r.user_id)]);
  }
  await pool.query(`ANALYZE ${naive}.video_like`);
  note('naive: like rows', liked.length);
  const joinCount = (id: string) => pool.query(`SELECT count(l.user_name) FROM ${naive}.video v JOIN ${naive}.video_like l ON l.video_id = v.id WHERE v.id = $1`, [id]);
  const unindexed = await timeReads(Math.min(READS, 200), joinCount);
  note('naive JOIN + COUNT, no index (as in the seed): p50 / p99 ms', `${ms(percentile(unindexed, 50))} / ${ms(percentile(unindexed, 99))}`);
  await pool.query(`CREATE INDEX ON ${naive}.video_like (video_id)`);
  const indexed = await timeReads(READS, joinCount);
  note('naive JOIN + COUNT, indexed: p50 / p99 ms', `${ms(percentile(indexed, 50))} / ${ms(percentile(indexed, 99))}`);

  const until = performance.now() + 5000;
  let inserted = 0;
  while (performance.now() < until) {
    const e = events[inserted % events.length]!;
    await pool.query(`INSERT INTO ${naive}.video_like (video_id, user_name) VALUES ($1, $2)`, [e.itemId, e.userId]);
    inserted++;
  }
  note('naive writes: one INSERT per event, events/s', Math.round(inserted / 5));

  await service.stop('SIGTERM');
  await pool.query(`DROP SCHEMA ${naive} CASCADE`);
  await pool.query(`DROP SCHEMA ${run} CASCADE`);
  await pool.end();
  const redis = createRedis(stack.redisUrl, 'bench');
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `tally:${run}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
  const cleanup = kafka.admin();
  await cleanup.connect();
  await cleanup.deleteTopics({ topics: [topic] });
  await cleanup.disconnect();
  console.log(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
