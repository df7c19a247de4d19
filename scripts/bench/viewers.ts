/**
 * Live-viewers benchmark on this machine (not a test: it prints numbers). Runs ingest-gateway and
 * viewer-aggregator as processes against the running local stack and measures, one after another:
 *   1. heartbeats/s the gateway accepts (202 = acknowledged by Kafka with acks=all), batch route then single route;
 *   2. heartbeats/s the aggregator processes, draining the run's own topic from earliest with a fresh consumer
 *      group (a backlog of exactly what phase 1 wrote: the shared topic would hold every earlier run's
 *      heartbeats for its retention, millions after a day of runs), timed from its first processed record to lag 0;
 *   3. delay from POST to visible in GET /viewers (both through the gateway), p50/p99, idle and then under
 *      background load at half the aggregator's measured rate.
 * Usage: pnpm bench:viewers [--seconds 15] [--concurrency 8] [--probes 200]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { stackEndpoints, stackUp } from '@tally/stack';
import { consumerLag, createKafka } from '@tally/streaming';
import { createLogger } from '@tally/observability';
import { TOPICS } from '@tally/contracts';
import { createTopicsWithSchemas } from '@tally/testkit';
import { httpClient, recordsProcessed } from './lib.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    concurrency: { type: 'string', default: '8' },
    probes: { type: 'string', default: '200' },
  },
});
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const probes = Number(args.probes);
const run = `bench-${Date.now().toString(36)}`;
const group = `viewer-aggregator-${run}`;
const topic = `bench.${run}.viewer-heartbeats`;
const gatewayUrl = 'http://127.0.0.1:18080';
const aggregatorUrl = 'http://127.0.0.1:18091';
const key = 'tally-dev-key';
const children: ChildProcess[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every call goes to a full URL (the gateway or the aggregator), with the key: lib.ts's client on no base URL. */
const http = httpClient('', key);
const call = (url: string, method: 'GET' | 'POST', body?: unknown) => http.send(method, url, body);

function startService(name: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const reply = await call(`${url}/readyz`, 'GET').catch(() => undefined);
    if (reply?.status === 200) return;
    await sleep(100);
  }
  throw new Error(`${url} never became ready`);
}

const processedByAggregator = () => recordsProcessed(aggregatorUrl);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => +n.toFixed(1);
let seq = 0;
const heartbeat = (sessionId: string) => ({ source: run, seq: seq++, sessionId, positionMs: 1000 });

interface Driven {
  accepted: number;
  requests: number;
  elapsed: number;
  latencies: number[];
  statuses: Record<number, number>;
}

/** `workers` loops send for `durationMs`; `send` returns the reply and how many heartbeats it got accepted. */
async function drive(
  durationMs: number,
  workers: number,
  send: () => Promise<{ status: number; accepted: number }>,
): Promise<Driven> {
  const until = Date.now() + durationMs;
  const result: Driven = { accepted: 0, requests: 0, elapsed: 0, latencies: [], statuses: {} };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        const t = performance.now();
        const { status, accepted } = await send();
        result.latencies.push(performance.now() - t);
        result.accepted += accepted;
        result.requests++;
        result.statuses[status] = (result.statuses[status] ?? 0) + 1;
      }
    }),
  );
  result.elapsed = (performance.now() - started) / 1000;
  result.latencies.sort((a, b) => a - b);
  return result;
}

const BATCH_SIZE = 500;
async function sendBatch(items: number, label: string): Promise<{ status: number; accepted: number }> {
  const batch = Array.from({ length: items }, (_, i) => ({
    streamId: `${run}-${label}-s${i % 100}`,
    ...heartbeat(`${label}-sess-${seq % 20_000}`),
  }));
  const reply = await call(`${gatewayUrl}/v1/heartbeats/batch`, 'POST', { items: batch });
  if (reply.status !== 200) return { status: reply.status, accepted: 0 };
  const { results } = JSON.parse(reply.body) as { results: { status: number }[] };
  return { status: reply.status, accepted: results.filter((r) => r.status === 202).length };
}

/** Background load at a fixed rate: a batch every 20 ms, not waiting for one to finish before the next. */
function backgroundLoad(perSecond: number): { stop: () => Promise<number> } {
  const perTick = Math.max(1, Math.round(perSecond / 50));
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  const timer = setInterval(() => {
    // a batch that fails (the gateway overloaded) counts as not accepted; it must not end the benchmark
    const p = sendBatch(perTick, 'load').then(
      (r) => (sent += r.accepted),
      () => undefined,
    );
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }, 20);
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
      return sent;
    },
  };
}

async function postToVisible(count: number, label: string): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    const streamId = `${run}-${label}-${i}`;
    const t = performance.now();
    const posted = await call(`${gatewayUrl}/v1/streams/${streamId}/heartbeats`, 'POST', heartbeat('probe'));
    if (posted.status !== 202) throw new Error(`probe POST answered ${posted.status}: ${posted.body}`);
    for (;;) {
      const reply = await call(`${gatewayUrl}/v1/streams/${streamId}/viewers`, 'GET');
      if (reply.status === 200 && (JSON.parse(reply.body) as { concurrent: number }).concurrent === 1) break;
      await sleep(1);
    }
    delays.push(performance.now() - t);
  }
  return delays.sort((a, b) => a - b);
}

async function main() {
  await stackUp(() => undefined);
  const { brokers, registryUrl } = stackEndpoints();
  await createTopicsWithSchemas({ brokers, registryUrl }, [
    { name: topic, partitions: TOPICS.viewerHeartbeats.partitions, schema: TOPICS.viewerHeartbeats.valueSchema },
  ]);
  const results: Record<string, number | string> = { run, seconds, concurrency };
  const note = (name: string, value: number | string) => {
    results[name] = value;
    console.log(`  ${name.padEnd(52)} ${value}`);
  };
  console.log(`live viewers benchmark ${run} (this machine: every component shares its 2 cores)`);

  startService('ingest-gateway', {
    PORT: '18080',
    HEARTBEATS_TOPIC: topic,
    VIEWER_AGGREGATOR_URL: aggregatorUrl,
    RATE_LIMIT_PER_SECOND: '1000000',
    ADDRESS_RATE_LIMIT_PER_SECOND: '1000000',
    CONNECTIONS_PER_ADDRESS: '100000',
  });
  await waitReady(gatewayUrl);
  await sendBatch(BATCH_SIZE, 'warmup');

  const batch = await drive(seconds * 1000, concurrency, () => sendBatch(BATCH_SIZE, 'batch'));
  note('gateway batch route: heartbeats/s accepted', Math.round(batch.accepted / batch.elapsed));
  note(
    `gateway batch route: request (${BATCH_SIZE} items) p50 / p99 ms`,
    `${ms(percentile(batch.latencies, 50))} / ${ms(percentile(batch.latencies, 99))}`,
  );
  note('gateway batch route: answers by status', JSON.stringify(batch.statuses));

  const singleWorkers = concurrency * 8;
  const single = await drive(Math.min(10, seconds) * 1000, singleWorkers, async () => {
    const reply = await call(
      `${gatewayUrl}/v1/streams/${run}-single-s${seq % 100}/heartbeats`,
      'POST',
      heartbeat(`single-${seq % 5000}`),
    );
    return { status: reply.status, accepted: reply.status === 202 ? 1 : 0 };
  });
  note(
    `gateway single route (${singleWorkers} clients): requests/s accepted`,
    Math.round(single.accepted / single.elapsed),
  );
  note(
    'gateway single route: p50 / p99 ms',
    `${ms(percentile(single.latencies, 50))} / ${ms(percentile(single.latencies, 99))}`,
  );
  note('gateway single route: answers by status', JSON.stringify(single.statuses));

  // A fresh group reads the run's topic from its beginning: everything above, a backlog to drain.
  const kafka = createKafka({
    brokers,
    clientId: 'bench',
    logger: createLogger('bench', 'warn'),
  });
  const admin = kafka.admin();
  await admin.connect();
  const backlog = (await consumerLag(admin, group, [topic])).reduce((sum, p) => sum + p.lag, 0);
  startService('viewer-aggregator', {
    PORT: '18091',
    HEARTBEATS_TOPIC: topic,
    CONSUMER_GROUP: group,
    REDIS_PREFIX: `tally:bench:viewers`,
    DB_SCHEMA: 'viewer_aggregator_bench',
  });
  await waitReady(aggregatorUrl);
  let firstProcessed = 0;
  for (;;) {
    const processed = await processedByAggregator();
    if (processed > 0 && firstProcessed === 0) firstProcessed = performance.now();
    if (processed > 0 && (await consumerLag(admin, group, [topic])).every((p) => p.lag === 0)) break;
    await sleep(50);
  }
  const drainSeconds = (performance.now() - firstProcessed) / 1000;
  const processed = await processedByAggregator();
  note('aggregator: backlog drained (records)', `${processed} (lag before start ${backlog})`);
  note('aggregator: heartbeats/s processed', Math.round(processed / drainSeconds));

  const idle = await postToVisible(probes, 'idle');
  note('POST → visible in GET, idle: p50 / p99 ms', `${ms(percentile(idle, 50))} / ${ms(percentile(idle, 99))}`);

  const halfRate = Math.round(Math.min(processed / drainSeconds, batch.accepted / batch.elapsed) / 2);
  const load = backgroundLoad(halfRate);
  const loadStart = performance.now();
  const loaded = await postToVisible(probes, 'loaded');
  const loadSent = await load.stop();
  note(
    `POST → visible in GET, under ${halfRate}/s load: p50 / p99 ms`,
    `${ms(percentile(loaded, 50))} / ${ms(percentile(loaded, 99))}`,
  );
  note(
    '  background load actually accepted, heartbeats/s',
    Math.round(loadSent / ((performance.now() - loadStart) / 1000)),
  );

  for (const child of children) child.kill('SIGTERM');
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  console.log(JSON.stringify(results));
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    http.close();
  });
