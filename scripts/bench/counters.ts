/**
 * Counters benchmark on this machine (not a test: it prints numbers). In one run, on the same data:
 *   1. counter-materializer (as its own process) drains 500,000 like events from a fresh topic: events/s
 *      processed, from its first processed record to lag 0;
 *   2. GET /v1/items/{id}/counts p50/p99 against it, for random items;
 *   3. the naive way of seed 001: a row per like, and a JOIN + COUNT per read, without an index on the
 *      like table (as in the seed) and with one; plus single-row INSERTs per event for the write side;
 *   4. the Kafka Streams peer (deploy/bench-peer: exactly_once_v2, two threads, RocksDB stores with changelogs)
 *      drains the same backlog topic with its own application id, timed the same way; then every item's
 *      counts, counter-materializer's and the peer's, are checked against the counts worked out here from the
 *      backlog (like-counts.ts);
 *   5. POST → visible through ingest-gateway: a like for a fresh item, then GET /v1/items/{id}/counts until it
 *      shows, idle and then under background likes at half the rate of 1, sent as clients send them: a site's
 *      backend POSTs what its users did in the last 20 ms to the gateway's batch route (--load-via gateway:
 *      one request per like instead; --load-via kafka: produced straight to the topic).
 * Usage: pnpm bench:counters [--events 500000] [--reads 2000] [--probes 200] [--load-via batch|gateway|kafka] [--peer false]
 * Profiling the materializer: BENCH_NODE_OPTIONS="--import ./scripts/bench/cpu-profile.js" BENCH_CPU_PROFILE_DIR=/tmp/prof-counters
 */
import { parseArgs } from 'node:util';
import { createSchemaRegistry, topicCodec, type ItemEvent } from '@tally/schemas';
import { createPool } from '@tally/storage';
import { TypedProducer, type OutgoingRecord } from '@tally/streaming';
import type { ServiceProcess, TestStack } from '@tally/testkit';
import { TOPICS } from '@tally/contracts';
import { deletePeerLeftovers, peerCounts, startPeer } from './kafka-streams-peer.js';
import { expectedCounts, mismatches, type ItemCounts } from './like-counts.js';
import * as bench from './lib.js';
import { ITEMS, likeEvent as likeEventOf } from './service-loads.js';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '500000' },
    reads: { type: 'string', default: '2000' },
    probes: { type: 'string', default: '200' },
    'load-via': { type: 'string', default: 'batch' },
    peer: { type: 'string', default: 'true' },
  },
});
const EVENTS = Number(args.events);
const READS = Number(args.reads);
const PROBES = Number(args.probes);
const { via: LOAD_VIA, what: LOAD_WHAT } = bench.loadVia(args['load-via']);
const PEER = args.peer !== 'false';
const USERS = 50_000;
const run = `bench_${Date.now().toString(36)}`;
const topic = `bench.${run}.item-events`;
const group = `${run}-group`;
const naive = `naive_${run}`;
const peerApplication = `${run}-kafka-streams-peer`;
const apiKey = { key: 'bench-counters-key-0123456789abcdef', name: 'bench-counters', scopes: ['counters:write'] };
const out = bench.benchResults({ run, events: EVENTS }, 58);

const popularItem = () => `item-${Math.floor(ITEMS * Math.random() ** 2)}`;

/** A like (92%) or unlike of a popular item by a random user, as the gateway would have made it. */
const likeEvent = (seq: number, atMs: number) => likeEventOf(seq, atMs, USERS);

/** Likes and unlikes over 1,000 items skewed to popular ones, 10% of them sent twice. */
function likeBacklog(): OutgoingRecord<ItemEvent>[] {
  const records: OutgoingRecord<ItemEvent>[] = [];
  const now = Date.now();
  for (let i = 0; records.length < EVENTS; i++) {
    const event = likeEvent(i, now - (EVENTS - i) * 10);
    records.push({ key: event.itemId, value: event });
    if (Math.random() < 0.1 && records.length < EVENTS) records.push({ key: event.itemId, value: event });
  }
  return records;
}

async function timeReads(count: number, read: (itemId: string) => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const itemId = popularItem();
    const t = performance.now();
    await read(itemId);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b);
}

/** A like of a fresh item through the gateway, until GET counts through the gateway shows it. */
function probeLikes(gateway: bench.HttpClient, label: string): Promise<number[]> {
  return bench.writeToVisible(
    PROBES,
    async (i) => {
      const itemId = `probe-${run}-${label}-${i}`;
      bench.expectStatus(
        await gateway.send('POST', `/v1/items/${itemId}/likes`, {
          source: `probe-${label}`,
          seq: i,
          userId: 'prober',
          liked: true,
        }),
        202,
        'probe POST',
      );
      return itemId;
    },
    async (itemId) => {
      const reply = await gateway.get(`/v1/items/${itemId}/counts`);
      return reply.status === 200 && (JSON.parse(reply.body) as { likes: number }).likes === 1;
    },
  );
}

/** Background likes: `count` per call, straight to the topic or one POST each through the gateway. */
function likeLoad(stack: TestStack, gateway: bench.HttpClient) {
  let seq = 0;
  const likeBody = (e: ItemEvent) => ({ source: 'bench-load', seq: e.seq, userId: e.userId, liked: e.kind === 'LIKE' });
  if (LOAD_VIA === 'batch') {
    return {
      // as a site's backend sends what its users did in the last 20 ms: one request, each like an item of it
      send: async (count: number) => {
        const items = Array.from({ length: count }, () => likeEvent(seq++, Date.now())).map((e) => ({
          type: 'like',
          itemId: e.itemId,
          ...likeBody(e),
        }));
        const reply = await gateway.send('POST', '/v1/items/batch', { items });
        return reply.status === 200 ? (JSON.parse(reply.body) as { accepted: number }).accepted : 0;
      },
      close: async () => undefined,
    };
  }
  if (LOAD_VIA === 'gateway') {
    return {
      send: async (count: number) => {
        const replies = await Promise.all(
          Array.from({ length: count }, () => {
            const e = likeEvent(seq++, Date.now());
            return gateway.send('POST', `/v1/items/${e.itemId}/likes`, likeBody(e));
          }),
        );
        return replies.filter((r) => r.status === 202).length;
      },
      close: async () => undefined,
    };
  }
  const producer = new TypedProducer(bench.benchKafka(stack), { lingerMs: 5 });
  const codec = topicCodec(createSchemaRegistry(stack.registryUrl), topic, TOPICS.itemEvents.valueSchema);
  const connected = producer.connect();
  return {
    send: async (count: number) => {
      await connected;
      const records = Array.from({ length: count }, () => likeEvent(seq++, Date.now())).map((value) => ({
        key: value.itemId,
        value,
      }));
      await producer.sendAll(codec, records);
      return count;
    },
    close: () => producer.disconnect(),
  };
}

async function measureWriteToVisible(
  stack: TestStack,
  services: bench.BenchServices,
  materializer: ServiceProcess,
  eventsPerSecond: number,
) {
  const { gateway, close } = await bench.gatewayInFront(services, apiKey, materializer.url, {
    ITEM_EVENTS_TOPIC: topic,
    COUNTER_MATERIALIZER_URL: materializer.url,
  });
  const load = likeLoad(stack, gateway);
  try {
    await bench.measureWriteToVisible(out.note, (label) => probeLikes(gateway, label), {
      halfRate: Math.round(eventsPerSecond / 2),
      send: load.send,
      maxInFlight: LOAD_VIA === 'gateway' ? 8 : 64,
      what: `likes, ${LOAD_WHAT}`,
      caughtUp: () => bench.waitForDrain(bench.benchKafka(stack), group, [topic]),
      serviceUrl: materializer.url,
    });
  } finally {
    await load.close();
    close();
  }
}

/** Seed 001's way on the same likes: a row per like, and a JOIN + COUNT per read. */
async function measureNaive(stack: TestStack, backlog: OutgoingRecord<ItemEvent>[]) {
  const pool = createPool(stack.databaseUrl);
  await pool.query(`CREATE SCHEMA ${naive}`);
  await pool.query(`CREATE TABLE ${naive}.video (id text PRIMARY KEY)`);
  await pool.query(`CREATE TABLE ${naive}.video_like (video_id text NOT NULL, user_name text NOT NULL)`);
  await pool.query(`INSERT INTO ${naive}.video SELECT 'item-' || g FROM generate_series(0, ${ITEMS - 1}) g`);
  const { rows: liked } = await pool.query(`SELECT item_id, user_id FROM ${run}.item_likes WHERE liked`);
  for (let i = 0; i < liked.length; i += 10_000) {
    const page = liked.slice(i, i + 10_000);
    await pool.query(`INSERT INTO ${naive}.video_like SELECT * FROM unnest($1::text[], $2::text[])`, [
      page.map((r) => r.item_id),
      page.map((r) => r.user_id),
    ]);
  }
  await pool.query(`ANALYZE ${naive}.video_like`);
  out.note('naive: like rows', liked.length);
  const joinCount = (id: string) =>
    pool.query(
      `SELECT count(l.user_name) FROM ${naive}.video v JOIN ${naive}.video_like l ON l.video_id = v.id WHERE v.id = $1`,
      [id],
    );
  out.note(
    'naive JOIN + COUNT, no index (as in the seed): p50 / p99 ms',
    bench.p50p99(await timeReads(Math.min(READS, 200), joinCount), 2),
  );
  await pool.query(`CREATE INDEX ON ${naive}.video_like (video_id)`);
  out.note('naive JOIN + COUNT, indexed: p50 / p99 ms', bench.p50p99(await timeReads(READS, joinCount), 2));
  const insert = (i: number) => {
    const { itemId, userId } = backlog[i % backlog.length]!.value;
    return pool.query(`INSERT INTO ${naive}.video_like (video_id, user_name) VALUES ($1, $2)`, [itemId, userId]);
  };
  out.note('naive writes: one INSERT per event, events/s', Math.round(await bench.sequentialRate(5, insert)));
  await pool.end();
}

/** counter-materializer's counts as Postgres holds them (its durable store, which Redis is projected from). */
async function tallyCounts(stack: TestStack): Promise<Map<string, ItemCounts>> {
  const pool = createPool(stack.databaseUrl);
  const { rows } = await pool.query<{ item_id: string; likes: string; views: string }>(
    `SELECT item_id, likes, views FROM ${run}.items`,
  );
  await pool.end();
  return new Map(rows.map((r) => [r.item_id, { likes: Number(r.likes), views: Number(r.views) }]));
}

/**
 * The Kafka Streams peer drains the backlog topic as counter-materializer did: started on its own group, timed
 * from its first processed record to lag 0 on that group. Returns its counts.
 */
async function measurePeer(stack: TestStack, kafka: bench.Kafka, tallyPerSecond: number) {
  const peer = await startPeer(stack, peerApplication, topic);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const drained = await Promise.race([bench.timeDrain(admin, peerApplication, [topic], peer.url), peer.exited]);
    out.note(`kafka streams peer: events/s processed (${EVENTS} backlog)`, Math.round(drained.perSecond));
    out.note('counter-materializer ÷ kafka streams peer', +(tallyPerSecond / drained.perSecond).toFixed(2));
    return await peerCounts(peer);
  } finally {
    await admin.disconnect();
    await peer.stop();
    await deletePeerLeftovers(kafka, peerApplication);
  }
}

/** Every item's counts against the backlog's, for counter-materializer and (if it ran) the peer. */
function noteExactCounts(
  backlog: OutgoingRecord<ItemEvent>[],
  tally: Map<string, ItemCounts>,
  peer: Map<string, ItemCounts> | undefined,
) {
  const expected = expectedCounts(backlog.map((r) => r.value));
  const peerMismatches = peer ? mismatches(expected, peer).length : 'not run';
  out.note(
    'exact counts: items checked / mismatches tally / mismatches peer',
    `${expected.size} / ${mismatches(expected, tally).length} / ${peerMismatches}`,
  );
}

async function measure(stack: TestStack, services: bench.BenchServices, kafka: bench.Kafka) {
  const backlog = likeBacklog();
  const drained = await bench.drainReported(
    out.note,
    stack,
    services,
    { topic, schema: TOPICS.itemEvents.valueSchema, records: backlog, unit: 'events' },
    {
      name: 'counter-materializer',
      group,
      env: { ITEM_EVENTS_TOPIC: topic, REDIS_PREFIX: `tally:${run}`, DB_SCHEMA: run },
    },
  );

  const ours = await timeReads(READS, async (id) =>
    (await fetch(`${drained.service.url}/v1/items/${id}/counts`)).json(),
  );
  out.note('GET counts (HTTP, from Redis): p50 / p99 ms', bench.p50p99(ours, 2));

  // before any probe or background like changes the likes the naive table is made of, or the topic the peer reads
  const tally = await tallyCounts(stack);
  await measureNaive(stack, backlog);
  const peer = PEER ? await measurePeer(stack, kafka, drained.eventsPerSecond) : undefined;
  noteExactCounts(backlog, tally, peer);
  await measureWriteToVisible(stack, services, drained.service, drained.eventsPerSecond);
}

void bench.runBench({
  title: `counters benchmark ${run}`,
  topics: [{ name: topic, partitions: 12, schema: TOPICS.itemEvents.valueSchema }],
  created: { groups: [group], schemas: [run, naive], redisPrefix: `tally:${run}` },
  printJson: out.printJson,
  measure,
});
