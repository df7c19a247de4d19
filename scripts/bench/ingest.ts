/**
 * Ingestion benchmark on this machine (not a test: it prints numbers). What the gateway takes in, against what a
 * bare Fastify route takes on the same machine in the same run, so the ratio does not depend on the day's machine:
 *   1. a bare Fastify route (its own process: a POST whose JSON body is parsed and answered 202 {id}, no Kafka),
 *      driven by autocannon with 64 connections: requests/s and p50 / p99, before and after the gateway;
 *   2. the gateway's single like route (its own process, against this run's topics) driven the same way:
 *      requests/s answered 202 (acknowledged by Kafka, acks=all) and the ratio gateway ÷ bare (target ≥ 0.5);
 *   3. every batch route at 500 items per request from a few connections: items/s accepted (target ≥ 100,000).
 * Only the gateway runs (no consumer takes the 2 cores from it): a write's 202 needs only Kafka.
 * Usage: node --import tsx scripts/bench/ingest.ts [--quick] [--seconds 10] [--connections 64]
 *   [--batch-size 500] [--batch-connections 4] [--batch-seconds 6]
 * (about 2 minutes; --quick about a minute). Profiling the gateway:
 *   BENCH_NODE_OPTIONS="--import ./scripts/bench/cpu-profile.js" BENCH_CPU_PROFILE_DIR=/tmp/prof-ingest \
 *   node --import tsx scripts/bench/ingest.ts --quick
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { REGIONAL_TOPICS, SCOPES, TOPICS, regionalTopicName } from '@tally/contracts';
import { gatewayTopicEnvironment, tallyTopicNames } from '@tally/testkit';
import { benchResults, benchSizes, ms, runBench, sleep, type BenchServices } from './lib.js';
import { drive, type Measured, type RouteLoad } from './gateway/drive.js';
import { batchWrites } from './gateway/routes.js';

const sizes = benchSizes(
  { seconds: 10, connections: 64, 'batch-size': 500, 'batch-connections': 4, 'batch-seconds': 6 },
  { seconds: 3, connections: 64, 'batch-size': 500, 'batch-connections': 4, 'batch-seconds': 3 },
);
/** Not measured: each load first runs this long, so it is timed with warm JIT and open connections. */
const WARMUP_SECONDS = sizes.quick ? 1 : 2;
/**
 * A gateway just started still works for seconds (its console and wallet outcome readers join their groups): the
 * bare route timed meanwhile would share the cores with that, and read low.
 */
const GATEWAY_SETTLE_MS = 5000;
const SINGLE_TARGET_RATIO = 0.5;
const BATCH_TARGET_ITEMS_PER_SECOND = 100_000;

const run = `ingest_${Date.now().toString(36)}`;
const topics = tallyTopicNames(`bench.${run}`);
const REGIONS = ['kr', 'jp'] as const;
const API_KEY = { key: 'bench-ingest-key-0123456789abcdef', name: 'bench-ingest', scopes: [...SCOPES] };
const headers = { authorization: `Bearer ${API_KEY.key}` };

const { note, printJson } = benchResults(
  { run, connections: sizes.connections, 'batch size': sizes['batch-size'] },
  72,
);

let seq = 0;
const keys = { source: `bench.${run}`, nextSeq: () => seq++ };

/** Ids the load spreads over, so no one item, user or queue is a hot spot. */
const SPREAD = 100;
const spread = (what: string, n: number) => `${run}-${what}-${n % SPREAD}`;

/** The topics the gateway writes, and those its console and wallet outcome feed read. */
const topicSpecs = [
  { name: topics.heartbeats, partitions: 6, schema: TOPICS.viewerHeartbeats.valueSchema },
  { name: topics.itemEvents, partitions: 6, schema: TOPICS.itemEvents.valueSchema },
  { name: topics.walletCommands, partitions: 6, schema: TOPICS.walletCommands.valueSchema },
  { name: topics.walletOutcomes, partitions: 3, schema: TOPICS.walletOutcomes.valueSchema },
  { name: topics.queueCommands, partitions: 4, schema: TOPICS.queueCommands.valueSchema },
  { name: topics.polls, partitions: 1, schema: TOPICS.pollDefinitions.valueSchema },
  { name: topics.viewerCounts, partitions: 1, schema: TOPICS.viewerCounts.valueSchema },
  { name: topics.queueEvents, partitions: 1, schema: TOPICS.queueEvents.valueSchema },
  { name: topics.results, partitions: 1, schema: TOPICS.voteResults.valueSchema },
  { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  { name: topics.late, partitions: 1, schema: TOPICS.late.valueSchema },
  ...REGIONS.map((region) => ({
    name: regionalTopicName(topics.ballotsTemplate, region),
    partitions: 4,
    schema: REGIONAL_TOPICS.ballots.valueSchema,
  })),
];

/**
 * The bare route, in a process of its own as the gateway is (autocannon in this one would otherwise share its
 * thread). Run from the gateway's directory so it loads the gateway's own Fastify; it prints its port.
 */
const BARE_SERVER = `
const { default: fastify } = await import('fastify');
const app = fastify();
app.post('/bare', async (request, reply) => reply.code(202).send({ id: request.body.source + ':' + request.body.seq }));
await app.listen({ host: '127.0.0.1', port: 0 });
console.log(app.server.address().port);
`;
const gatewayDirectory = fileURLToPath(new URL('../../services/ingest-gateway/', import.meta.url));

async function startBareServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', BARE_SERVER], {
    cwd: gatewayDirectory,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [port] = (await once(child.stdout!, 'data')) as [Buffer];
  return { url: `http://127.0.0.1:${port.toString().trim()}`, child };
}

function startGateway(services: BenchServices) {
  return services.start(
    'ingest-gateway',
    {
      TALLY_ENV: 'test',
      API_KEYS: JSON.stringify([API_KEY]),
      // far above what 2 cores can send: the benchmark measures the gateway, not its limiter
      RATE_LIMIT_PER_SECOND: '100000000',
      ADDRESS_RATE_LIMIT_PER_SECOND: '100000000',
      CONNECTIONS_PER_ADDRESS: '100000',
      ...gatewayTopicEnvironment(topics),
      VOTE_REGIONS: REGIONS.join(','),
    },
    { underTest: true },
  );
}

/** A write load: every request a new (source, seq). */
const writeLoad = (route: string, path: (seq: number) => string, body: (seq: number) => object): RouteLoad => ({
  route,
  method: 'POST',
  next: () => {
    const n = keys.nextSeq();
    return { path: path(n), body: { source: keys.source, seq: n, ...body(n) } };
  },
});

/** A batch load: `size` items per request, each a new (source, seq); items/s counts what the answers accepted. */
const batchLoad = (url: string, item: (seq: number) => object): RouteLoad => ({
  route: `POST ${url} (${sizes['batch-size']} items)`,
  method: 'POST',
  next: () => ({
    path: url,
    body: {
      items: Array.from({ length: sizes['batch-size'] }, () => {
        const n = keys.nextSeq();
        return { source: keys.source, seq: n, ...item(n) };
      }),
    },
  }),
  itemsAccepted: (body) => Number(/"accepted":(\d+)/.exec(body)?.[1] ?? 0),
});

function batchLoads(): RouteLoad[] {
  const [heartbeats] = batchWrites(keys, run, sizes['batch-size']);
  const user = (n: number) => `${run}-user-${n % 1000}`;
  return [
    heartbeats!,
    batchLoad(
      '/v1/items/batch',
      (n) =>
        [
          { itemId: spread('item', n), type: 'like', userId: user(n), liked: true },
          { itemId: spread('item', n), type: 'view', userId: user(n) },
          { itemId: spread('item', n), type: 'counter', name: 'bookings', by: 1 },
        ][n % 3]!,
    ),
    batchLoad('/v1/wallets/transactions/batch', (n) => ({
      userId: user(n),
      type: 'credit',
      asset: 'coins',
      amount: '1.00',
    })),
    batchLoad('/v1/transfers/batch', (n) => ({ from: user(n), to: user(n + 1), asset: 'coins', amount: '0.01' })),
    batchLoad('/v1/queues/tickets/batch', (n) => ({ queueId: spread('queue', n), userId: user(n) })),
    batchLoad('/v1/polls/votes/batch', (n) => ({
      pollId: spread('poll', n),
      region: REGIONS[n % REGIONS.length],
      userId: user(n),
      optionId: 'a',
    })),
  ];
}

/** Drives the load after a warm-up, noting non-2xx answers when there were any (they are not counted as throughput). */
async function measured(baseUrl: string, load: RouteLoad, connections: number, seconds: number): Promise<Measured> {
  await drive(baseUrl, load, { connections, seconds: WARMUP_SECONDS, headers });
  const m = await drive(baseUrl, load, { connections, seconds, headers });
  const failed = Object.entries(m.answers).filter(([status]) => !/^2\d\d$/.test(status));
  if (failed.length > 0) note(`${load.route}: answers by status (non-2xx present)`, JSON.stringify(m.answers));
  return m;
}

/** One single-write load driven and noted: requests/s answered 2xx, and p50 / p99. */
async function measureSingle(name: string, baseUrl: string, load: RouteLoad): Promise<number> {
  const m = await measured(baseUrl, load, sizes.connections, sizes.seconds);
  note(`${name}: requests/s answered 2xx`, m.requestsPerSecond);
  note(`${name}: p50 / p99 ms`, `${ms(m.p50Ms, 2)} / ${ms(m.p99Ms, 2)}`);
  return m.requestsPerSecond;
}

/**
 * The bare route is timed before and after the gateway, and the gateway is judged against their mean: others
 * share this machine's cores, and what they take changes within a run.
 */
async function measureSingles(gatewayUrl: string): Promise<void> {
  console.log(`single writes: ${sizes.connections} connections, ${sizes.seconds} s each`);
  const bareLoad = writeLoad(
    'POST /bare',
    () => '/bare',
    () => ({}),
  );
  const like = writeLoad(
    'POST /v1/items/{itemId}/likes',
    (n) => `/v1/items/${spread('item', n)}/likes`,
    (n) => ({ userId: `${run}-voter-${n}`, liked: true }),
  );
  const bare = await startBareServer();
  try {
    const before = await measureSingle('bare Fastify route (no Kafka), before', bare.url, bareLoad);
    const gateway = await measureSingle(`${like.route} (202: acknowledged by Kafka)`, gatewayUrl, like);
    const after = await measureSingle('bare Fastify route (no Kafka), after', bare.url, bareLoad);
    note(
      `single like ÷ bare Fastify route, mean of before and after (target ≥ ${SINGLE_TARGET_RATIO})`,
      +(gateway / ((before + after) / 2)).toFixed(3),
    );
  } finally {
    bare.child.kill('SIGTERM');
  }
}

async function measureBatches(gatewayUrl: string): Promise<void> {
  const connections = sizes['batch-connections'];
  const seconds = sizes['batch-seconds'];
  console.log(`batch writes: ${sizes['batch-size']} items per request, ${connections} connections, ${seconds} s each`);
  let lowest = Infinity;
  for (const load of batchLoads()) {
    const m = await measured(gatewayUrl, load, connections, seconds);
    note(`${load.route}: items/s accepted`, m.itemsPerSecond);
    note(`${load.route}: p50 / p99 ms per request`, `${ms(m.p50Ms, 1)} / ${ms(m.p99Ms, 1)}`);
    lowest = Math.min(lowest, m.itemsPerSecond);
  }
  note(`batch ingestion: lowest items/s of any route (target ≥ ${BATCH_TARGET_ITEMS_PER_SECOND})`, lowest);
}

await runBench({
  title: `ingestion benchmark ${run}`,
  topics: topicSpecs,
  created: { groups: [], schemas: [] },
  printJson,
  measure: async (_stack, services) => {
    const gateway = await startGateway(services);
    await sleep(GATEWAY_SETTLE_MS);
    await measureSingles(gateway.url);
    await measureBatches(gateway.url);
  },
});
