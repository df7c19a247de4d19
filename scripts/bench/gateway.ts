/**
 * Gateway benchmark on this machine (not a test: it prints numbers). ingest-gateway and every service behind it
 * (viewer-aggregator, counter-materializer, wallet-ledger, queue-admitter, vote-merger as regions kr and jp and
 * as the merger) run as their own processes against the running local stack, on topics, groups, Postgres
 * schemas and Redis keys of this run only (removed at the end). autocannon drives each route with a fixed
 * number of connections; every write is a new (source, seq); only 2xx answers count, anything else is reported.
 *   1. reads: first a bare anchor (a Fastify GET of a constant JSON, its own process, the same client and
 *      connections: what this machine allows at all); then data is seeded through the gateway and waited for,
 *      and every GET route of docs/API.md is driven through the gateway at the fixed connections (requests/s,
 *      p50/p99: what the read targets, p99 ≤ 5 ms public and ≤ 10 ms private, are judged on) and one request
 *      at a time, then at its owner directly at the fixed connections, so the gateway's share shows;
 *   2. single writes, each route in turn: requests/s (acknowledged by Kafka, acks=all) and p50/p99;
 *   3. batch writes (the heartbeats batch, and grants, one record per user) at realistic sizes: requests/s,
 *      items/s and p50/p99.
 * The consuming services are stopped before the writes: their catching up would take the same 2 cores from
 * the gateway, and a write's 202 needs only Kafka.
 * Usage: node --import tsx scripts/bench/gateway.ts [--quick] [--seconds 6] [--connections 32] [--latency-seconds 3]
 *   [--warmup-seconds 0.5] [--batch-sizes 100,500] [--only <part of a route>]
 * (about 4 minutes; --quick, about a minute: 1 s per route, 0.75 s one at a time, no warm-up, batches of 100;
 * batch routes run at least 3 s). Profiling the gateway on one route (the profile also covers the seeding):
 *   BENCH_NODE_OPTIONS="--import ./scripts/bench/cpu-profile.js" BENCH_CPU_PROFILE_DIR=/tmp/prof-gateway \
 *   node --import tsx scripts/bench/gateway.ts --only 'GET /v1/items/{itemId}/counts'
 */
import { parseArgs } from 'node:util';
import { benchResults, localStack, ms } from './lib.js';
import { API_KEY, deploy, type Deployment } from './gateway/deployment.js';
import { ANCHOR_PATH, startAnchor } from './gateway/anchor.js';
import { drive, type Measured, type RouteLoad } from './gateway/drive.js';
import { batchWrites, reads, singleWrites, type ReadLoad } from './gateway/routes.js';
import { gatewayClient, seed, type Seeded, type WriteKeys } from './gateway/seed.js';

/** The read targets of issue 21, at the fixed connections through the gateway. */
const PUBLIC_READ_P99_TARGET_MS = 5;
const PRIVATE_READ_P99_TARGET_MS = 10;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '32' },
    'latency-seconds': { type: 'string' },
    'warmup-seconds': { type: 'string' },
    'batch-sizes': { type: 'string' },
    only: { type: 'string' },
  },
});
const defaults = args.quick
  ? { seconds: '1', latency: '0.75', warmup: '0', batchSizes: '100' }
  : { seconds: '6', latency: '3', warmup: '0.5', batchSizes: '100,500' };
const settings = {
  seconds: Number(args.seconds ?? defaults.seconds),
  connections: Number(args.connections),
  latencySeconds: Number(args['latency-seconds'] ?? defaults.latency),
  warmupSeconds: Number(args['warmup-seconds'] ?? defaults.warmup),
  batchSizes: (args['batch-sizes'] ?? defaults.batchSizes).split(',').map(Number),
};
/** A batch of 500 can take a second to be acknowledged on a busy machine: a shorter run would time none. */
const BATCH_MIN_SECONDS = 3;
const run = `gw_${Date.now().toString(36)}`;
const { note, printJson } = benchResults(
  { run, connections: settings.connections, 'seconds per route': settings.seconds },
  76,
);
const selected = <T extends RouteLoad>(loads: T[]) => loads.filter((l) => !args.only || l.route.includes(args.only));
const writeHeaders = { authorization: `Bearer ${API_KEY}` };

let seq = 0;
const keys: WriteKeys = { source: `bench.${run}`, nextSeq: () => seq++ };

const pair = (m: Measured) => (m.answered2xx === 0 ? 'no 2xx answer' : `${ms(m.p50Ms, 2)} / ${ms(m.p99Ms, 2)}`);

/** Non-2xx answers and requests without one: counted, and broken down by status when there were any. */
function noteFailures(route: string, m: Measured): void {
  const failed = Object.entries(m.answers).filter(([kind]) => !/^2\d\d$/.test(kind) && kind !== 'timeouts');
  note(
    `${route}: non-2xx answers and errors`,
    failed.reduce((sum, [, n]) => sum + n, 0),
  );
  if (failed.length > 0) note(`${route}: answers by status`, JSON.stringify(m.answers));
}

async function measure(
  baseUrl: string,
  load: RouteLoad,
  connections: number,
  seconds: number,
  headers?: Record<string, string>,
): Promise<Measured> {
  // a short run first, not measured, so each route is timed with warm JIT and connections
  if (settings.warmupSeconds > 0) await drive(baseUrl, load, { connections, seconds: settings.warmupSeconds, headers });
  return drive(baseUrl, load, { connections, seconds, headers });
}

/** What a read route's targets are judged on: its p99 through the gateway, loaded and one at a time. */
interface ReadVerdict {
  private: boolean;
  loadedMet: boolean;
  aloneMet: boolean;
}

/** One read route: through the gateway at the fixed connections and one at a time, then at its owner directly. */
async function measureRead(deployment: Deployment, read: ReadLoad): Promise<ReadVerdict> {
  const { connections, seconds, latencySeconds } = settings;
  // every read shows the bench's key: wallets and tickets need it, and public reads are then limited per key, not per address
  const loaded = await measure(deployment.gateway.url, read, connections, seconds, writeHeaders);
  note(`${read.route}: requests/s, ${connections} connections`, loaded.requestsPerSecond);
  note(`${read.route}: p50 / p99 ms, ${connections} connections`, pair(loaded));
  noteFailures(read.route, loaded);
  const alone = await drive(deployment.gateway.url, read, {
    connections: 1,
    seconds: latencySeconds,
    headers: writeHeaders,
  });
  note(`${read.route}: p50 / p99 ms, 1 connection`, pair(alone));
  // the owner alone, as loaded: how much of the time through the gateway is the owner's own
  const direct = await measure(deployment.owners[read.owner], read, connections, seconds);
  note(`${read.route}: at its owner directly, requests/s, ${connections} connections`, direct.requestsPerSecond);
  note(`${read.route}: at its owner directly, p50 / p99 ms, ${connections} connections`, pair(direct));
  const within = (m: Measured, target: number) => m.answered2xx > 0 && m.p99Ms <= target;
  return {
    private: read.private,
    loadedMet: within(loaded, read.private ? PRIVATE_READ_P99_TARGET_MS : PUBLIC_READ_P99_TARGET_MS),
    aloneMet: within(alone, PUBLIC_READ_P99_TARGET_MS),
  };
}

/** The machine's own limit in the same run: a bare Fastify GET of a constant JSON, same client, same connections. */
async function measureAnchor(): Promise<void> {
  const anchor = await startAnchor();
  try {
    const load: RouteLoad = { route: 'bare anchor', method: 'GET', next: () => ({ path: ANCHOR_PATH }) };
    const { connections, seconds, latencySeconds } = settings;
    const loaded = await measure(anchor.url, load, connections, seconds);
    note(
      `bare anchor (Fastify GET of a constant JSON): requests/s, ${connections} connections`,
      loaded.requestsPerSecond,
    );
    note(`bare anchor (Fastify GET of a constant JSON): p50 / p99 ms, ${connections} connections`, pair(loaded));
    const alone = await drive(anchor.url, load, { connections: 1, seconds: latencySeconds });
    note('bare anchor (Fastify GET of a constant JSON): p50 / p99 ms, one at a time', pair(alone));
  } finally {
    anchor.stop();
  }
}

async function measureReads(deployment: Deployment, seeded: Seeded): Promise<void> {
  const { connections } = settings;
  console.log(
    `reads through the gateway (targets at ${connections} connections: p99 ≤ ${PUBLIC_READ_P99_TARGET_MS} ms public, ≤ ${PRIVATE_READ_P99_TARGET_MS} ms private)`,
  );
  await measureAnchor();
  const verdicts: ReadVerdict[] = [];
  for (const read of selected(reads(seeded))) verdicts.push(await measureRead(deployment, read));
  const tally = (of: ReadVerdict[], met: (v: ReadVerdict) => boolean) => `${of.filter(met).length} of ${of.length}`;
  const [privates, publics] = [verdicts.filter((v) => v.private), verdicts.filter((v) => !v.private)];
  note(
    `reads: public routes with p99 ≤ ${PUBLIC_READ_P99_TARGET_MS} ms, ${connections} connections`,
    tally(publics, (v) => v.loadedMet),
  );
  note(
    `reads: private routes with p99 ≤ ${PRIVATE_READ_P99_TARGET_MS} ms, ${connections} connections`,
    tally(privates, (v) => v.loadedMet),
  );
  note(
    `reads: routes with p99 ≤ ${PUBLIC_READ_P99_TARGET_MS} ms, 1 connection`,
    tally(verdicts, (v) => v.aloneMet),
  );
}

async function measureWrites(
  deployment: Deployment,
  loads: RouteLoad[],
  heading: string,
  seconds: number,
): Promise<void> {
  console.log(heading);
  for (const load of selected(loads)) {
    const m = await measure(deployment.gateway.url, load, settings.connections, seconds, writeHeaders);
    note(`${load.route}: requests/s`, m.requestsPerSecond);
    if (load.itemsAccepted) note(`${load.route}: items/s`, m.itemsPerSecond);
    note(`${load.route}: p50 / p99 ms`, pair(m));
    noteFailures(load.route, m);
  }
}

async function main() {
  const started = performance.now();
  const stack = await localStack();
  console.log(
    `gateway benchmark ${run}: ${settings.connections} connections, ${settings.seconds} s per route (this machine: everything shares its 2 cores)`,
  );
  const deployment = await deploy(stack, run);
  try {
    const client = gatewayClient(deployment.gateway.url, API_KEY);
    const seeded = await seed(client, keys, run).finally(client.close);
    console.log(`services up and data seeded in ${Math.round((performance.now() - started) / 1000)} s`);
    await measureReads(deployment, seeded);
    await deployment.stopConsumers();
    await measureWrites(
      deployment,
      singleWrites(keys, run, seeded),
      'single writes (202 = acknowledged by Kafka, acks=all; consumers stopped)',
      settings.seconds,
    );
    const batches = settings.batchSizes.flatMap((size) => batchWrites(keys, run, size));
    await measureWrites(deployment, batches, 'batch writes', Math.max(settings.seconds, BATCH_MIN_SECONDS));
  } finally {
    for (const problem of await deployment.tearDown()) console.warn(`clean-up incomplete: ${problem}`);
  }
  console.log(`done in ${Math.round((performance.now() - started) / 1000)} s`);
  printJson();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
