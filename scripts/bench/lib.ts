/**
 * What the service benchmarks share: the local stack, services started as their own processes, an HTTP client,
 * timing (percentiles, draining a backlog, reads at a fixed concurrency, background load at a fixed rate), the
 * results printer, and cleaning up what a run created. Benchmarks print numbers; nothing here asserts on time.
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { createLogger } from '@tally/observability';
import { createSchemaRegistry, topicCodec, type SchemaName, type SchemaTypes, type TopicCodec } from '@tally/schemas';
import { stackUp } from '@tally/stack';
import { createPool, createRedis, deleteKeys, scanKeys } from '@tally/storage';
import { TypedProducer, consumerLag, createKafka, type OutgoingRecord } from '@tally/streaming';
import { metricTotal } from './resources.js';
import {
  createTopicsWithSchemas,
  localStack as testkitLocalStack,
  stackEnvironment,
  startServiceProcess,
  type ServiceProcess,
  type TestStack,
} from '@tally/testkit';

// kafkajs is a dependency of the packages, not of the scripts: its types as @tally/streaming hands them out
export type Kafka = ReturnType<typeof createKafka>;
type Admin = ReturnType<Kafka['admin']>;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The value below which p% of `sorted` (ascending) lies. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
export const ms = (n: number, digits = 1) => +n.toFixed(digits);
/** "p50 / p99" of ascending latencies in ms, the form every benchmark reports (suite.ts reads it back). */
export const p50p99 = (sorted: number[], digits = 1) =>
  `${ms(percentile(sorted, 50), digits)} / ${ms(percentile(sorted, 99), digits)}`;

/**
 * A benchmark's sizes from its command line: `--<name> <n>` for each, `--quick` for the small set (for trying
 * the suite itself, as `pnpm bench --quick` passes it); a size given explicitly wins over either set.
 */
export function benchSizes<K extends string>(
  full: Record<K, number>,
  quick: Record<K, number>,
): Record<K, number> & { quick: boolean } {
  const names = Object.keys(full) as K[];
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      ...Object.fromEntries(names.map((n) => [n, { type: 'string' as const }])),
    },
  });
  const given = values as Record<string, string | boolean | undefined>;
  const chosen = given.quick ? quick : full;
  const sizes = Object.fromEntries(
    names.map((n) => [n, given[n] === undefined ? chosen[n] : Number(given[n])]),
  ) as Record<K, number>;
  const bad = names.filter((n) => !(sizes[n] > 0));
  if (bad.length > 0) throw new Error(`${bad.map((n) => `--${n}`).join(', ')} must be a positive number`);
  return { ...sizes, quick: given.quick === true };
}

export type Results = Record<string, string | number>;

export type Note = (name: string, value: string | number) => void;

/** Prints each measure as it is taken; `printJson` ends the run with all of them as one JSON line, as suite.ts expects. */
export function benchResults(initial: Results, nameWidth = 60) {
  const results: Results = { ...initial };
  return {
    results,
    note(name: string, value: string | number) {
      results[name] = value;
      console.log(`  ${name.padEnd(nameWidth)} ${value}`);
    },
    printJson: () => console.log(JSON.stringify(results)),
  };
}

/** The running local stack (started if it is not), as the testkit names it. */
export async function localStack(): Promise<TestStack> {
  await stackUp(() => undefined);
  return testkitLocalStack();
}

export const benchKafka = (stack: TestStack): Kafka =>
  createKafka({ brokers: stack.brokers, clientId: 'bench', logger: createLogger('bench', 'warn') });

/** Produces the records in chunks (acks=all); returns records/s as the client saw it. */
export async function produceAll<T>(
  producer: TypedProducer,
  codec: TopicCodec<T>,
  records: OutgoingRecord<T>[],
  chunk = 20_000,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < records.length; i += chunk) await producer.sendAll(codec, records.slice(i, i + chunk));
  return records.length / ((performance.now() - started) / 1000);
}

/**
 * Services of one run, each its own process against the stack. The service under test also gets every
 * BENCH_<NAME> variable of this process as <NAME>, so it can be examined without editing the benchmark:
 * BENCH_CONSUMER_CONCURRENCY=8 tunes it; BENCH_NODE_OPTIONS="--import ./scripts/bench/cpu-profile.js" with
 * BENCH_CPU_PROFILE_DIR=/tmp/prof profiles it (Node 20 refuses --cpu-prof in NODE_OPTIONS).
 */
export function benchServices(stack: TestStack) {
  const started: ServiceProcess[] = [];
  const benchVariables = () =>
    Object.fromEntries(
      Object.entries(process.env)
        .filter(([k]) => k.startsWith('BENCH_'))
        .map(([k, v]) => [k.slice(6), v!]),
    );
  return {
    async start(name: string, env: Record<string, string>, { underTest = false } = {}): Promise<ServiceProcess> {
      const service = await startServiceProcess(name, {
        ...stackEnvironment(stack),
        LOG_LEVEL: 'warn',
        ...env,
        ...(underTest ? benchVariables() : {}),
      });
      started.push(service);
      return service;
    },
    stopAll: () => Promise.all(started.map((s) => s.stop('SIGTERM'))),
  };
}
export type BenchServices = ReturnType<typeof benchServices>;

export interface Reply {
  status: number;
  body: string;
}

/** A keep-alive HTTP/1.1 client for one base URL (node:http: less overhead per call than fetch). */
export function httpClient(baseUrl: string, apiKey?: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const send = (method: string, path: string, body?: unknown, retried = false): Promise<Reply> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
    if (payload !== undefined)
      Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
    return new Promise((resolve, reject) => {
      const req = request(`${baseUrl}${path}`, { method, agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        // a kept-alive socket the server closed just as it was reused (Node's documented race): the request never
        // reached the server, so it is sent once more on a fresh socket
        if (req.reusedSocket && error.code === 'ECONNRESET' && !retried) resolve(send(method, path, body, true));
        else reject(error);
      });
      req.end(payload);
    });
  };
  return { send, get: (path: string) => send('GET', path), close: () => agent.destroy() };
}
export type HttpClient = ReturnType<typeof httpClient>;

/** Records a service has processed (applied or dead-lettered), from its /metrics. */
export async function recordsProcessed(serviceUrl: string): Promise<number> {
  return metricTotal(await metricsText(serviceUrl), 'tally_records_processed_total');
}

const metricsText = async (serviceUrl: string) => (await fetch(`${serviceUrl}/metrics`)).text();

export async function groupDrained(admin: Admin, group: string, topics: string[]): Promise<boolean> {
  return (await consumerLag(admin, group, topics)).every((p) => p.lag === 0);
}

/**
 * A freshly started service drains its backlog: the rate from the first time it reports records processed
 * (after its first chunks committed; polled every 50 ms) to its group's lag 0, counting only what it processed
 * in between, so neither its start nor the first chunks in flight distort the rate.
 */
export async function timeDrain(
  admin: Admin,
  group: string,
  topics: string[],
  serviceUrl: string,
): Promise<{ processed: number; perSecond: number }> {
  let first: { at: number; processed: number } | undefined;
  for (;;) {
    const processed = await recordsProcessed(serviceUrl);
    if (processed > 0 && !first) first = { at: performance.now(), processed };
    if (processed > 0 && (await groupDrained(admin, group, topics))) break;
    await sleep(50);
  }
  const processed = await recordsProcessed(serviceUrl);
  return { processed, perSecond: (processed - first!.processed) / ((performance.now() - first!.at) / 1000) };
}

/** Waits until the group has nothing left to read (after background load, before the next measure). */
export async function waitForDrain(kafka: Kafka, group: string, topics: string[], timeoutMs = 300_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    while (!(await groupDrained(admin, group, topics))) {
      if (Date.now() > deadline)
        throw new Error(`consumer group ${group} still lags on ${topics.join(', ')} after ${timeoutMs} ms`);
      await sleep(100);
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * A service's throughput as its own process: the backlog produced straight to its topic (acks=all) while it is
 * not running, then the service started on a fresh group and timed until it has read everything.
 */
export async function drainBacklog<N extends SchemaName>(
  stack: TestStack,
  services: BenchServices,
  backlog: { topic: string; schema: N; records: OutgoingRecord<SchemaTypes[N]>[] },
  service: { name: string; group: string; env: Record<string, string> },
) {
  const kafka = benchKafka(stack);
  const producer = new TypedProducer(kafka, { lingerMs: 5 });
  await producer.connect();
  const producedPerSecond = await produceAll(
    producer,
    topicCodec(createSchemaRegistry(stack.registryUrl), backlog.topic, backlog.schema),
    backlog.records,
  );
  await producer.disconnect();
  const started = await services.start(
    service.name,
    { CONSUMER_GROUP: service.group, ...service.env },
    { underTest: true },
  );
  const admin = kafka.admin();
  await admin.connect();
  const { processed, perSecond } = await timeDrain(admin, service.group, [backlog.topic], started.url);
  await admin.disconnect();
  return { service: started, producedPerSecond, processed, eventsPerSecond: perSecond };
}

/** drainBacklog, and the three lines every service benchmark reports of it; `unit` names what the records are. */
export async function drainReported<N extends SchemaName>(
  note: Note,
  stack: TestStack,
  services: BenchServices,
  backlog: { topic: string; schema: N; records: OutgoingRecord<SchemaTypes[N]>[]; unit: string },
  service: { name: string; group: string; env: Record<string, string> },
) {
  const drained = await drainBacklog(stack, services, backlog, service);
  note(
    `${backlog.unit} produced to Kafka (client, acks=all), ${backlog.unit}/s`,
    Math.round(drained.producedPerSecond),
  );
  note(`${service.name}: events/s processed (${backlog.records.length} backlog)`, Math.round(drained.eventsPerSecond));
  note(`${service.name}: consumer batches during the drain`, await batchSummary(drained.service.url));
  return drained;
}

/**
 * A gateway in front of the service under benchmark (its limiter far above what 2 cores can send), and HTTP clients
 * for both: what is measured through the gateway is compared with the service asked directly.
 */
export async function gatewayInFront(
  services: BenchServices,
  apiKey: { key: string; name: string; scopes: string[] },
  serviceUrl: string,
  env: Record<string, string>,
) {
  const gatewayProcess = await services.start('ingest-gateway', {
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey]),
    RATE_LIMIT_PER_SECOND: '1000000',
    ADDRESS_RATE_LIMIT_PER_SECOND: '1000000',
    CONNECTIONS_PER_ADDRESS: '100000',
    ...env,
  });
  const gateway = httpClient(gatewayProcess.url, apiKey.key);
  const service = httpClient(serviceUrl);
  return {
    gateway,
    service,
    process: gatewayProcess,
    close: () => {
      gateway.close();
      service.close();
    },
  };
}

/**
 * The frame of a service benchmark: the local stack, the run's topics created, `measure` given a way to start
 * services, then every service stopped and what the run created removed (also after a failure), and the results
 * printed as the JSON line suite.ts reads. Sets the exit code when it fails.
 */
export async function runBench(options: {
  title: string;
  topics: { name: string; partitions: number; schema: SchemaName }[];
  created: Omit<Created, 'topics'>;
  printJson: () => void;
  measure: (stack: TestStack, services: BenchServices, kafka: Kafka) => Promise<void>;
}): Promise<void> {
  try {
    const stack = await localStack();
    console.log(`${options.title} (this machine: every component shares its cores)`);
    await createTopicsWithSchemas(stack, options.topics);
    const services = benchServices(stack);
    const kafka = benchKafka(stack);
    try {
      await options.measure(stack, services, kafka);
    } finally {
      await services.stopAll();
      await cleanUp(stack, kafka, { ...options.created, topics: options.topics.map((t) => t.name) });
    }
    options.printJson();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
}

/** `count` calls, `concurrency` at a time; the latencies ascending and the calls per second. */
export async function timeConcurrent(
  count: number,
  concurrency: number,
  call: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; perSecond: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        await call(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), perSecond: count / ((performance.now() - started) / 1000) };
}

/** How many operations per second `operation` does, one after another, for `seconds`. */
export async function sequentialRate(seconds: number, operation: (i: number) => Promise<unknown>): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  while (performance.now() < until) await operation(done++);
  return done / seconds;
}

/**
 * How a benchmark's background writes reach the service (`--load-via`): `batch` (the default) as a site's
 * backend sends what its users did in the last 20 ms, one request to the gateway's batch route; `gateway` one
 * request per write; `kafka` produced straight to the topic, past the gateway.
 */
export function loadVia(arg: string | undefined) {
  const via = (['batch', 'gateway', 'kafka'] as const).find((v) => v === arg) ?? 'batch';
  const what = {
    batch: 'POSTed through the gateway’s batch route, a request every 20 ms',
    gateway: 'POSTed through the gateway, one request each',
    kafka: 'produced to the topic',
  }[via];
  return { via, what };
}

/**
 * Background load at a fixed rate, open loop as real clients are: every 20 ms `send(count)` is called for that
 * tick's share without waiting for earlier ones, and resolves to how many of them were accepted. A tick is
 * skipped (not queued) while `maxInFlight` sends are outstanding, so an overloaded gateway shows as a lower
 * accepted rate rather than as a pile of sockets.
 */
export function backgroundLoad(perSecond: number, send: (count: number) => Promise<number>, maxInFlight = 64) {
  const perTick = Math.max(1, Math.round(perSecond / 50));
  const started = performance.now();
  let accepted = 0;
  const inFlight = new Set<Promise<unknown>>();
  const timer = setInterval(() => {
    if (inFlight.size >= maxInFlight) return;
    const sent = send(perTick).then(
      (n) => void (accepted += n),
      () => undefined,
    );
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }, 20);
  return {
    /** Stops sending, waits for what is in flight; the rate accepted over the whole run. */
    stop: async (): Promise<{ accepted: number; perSecond: number }> => {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      await Promise.all(inFlight);
      return { accepted, perSecond: accepted / seconds };
    },
  };
}

/** What a run created, to be removed at its end. */
export interface Created {
  topics: string[];
  groups: string[];
  schemas: string[];
  redisPrefix?: string;
}

/** Drops what a run created: its topics, consumer groups, Postgres schemas and Redis keys under a prefix. */
export async function cleanUp(stack: TestStack, kafka: Kafka, created: Created): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .deleteGroups(created.groups)
    .catch((error: unknown) =>
      console.warn(`could not delete consumer groups ${created.groups.join(', ')}: ${String(error)}`),
    );
  await admin.deleteTopics({ topics: created.topics });
  await admin.disconnect();
  const pool = createPool(stack.databaseUrl);
  for (const schema of created.schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
  if (created.redisPrefix) await deleteRedisKeys(stack.redisUrl, `${created.redisPrefix}:*`);
}

export async function deleteRedisKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = createRedis(redisUrl, 'bench');
  await deleteKeys(redis, await scanKeys(redis, pattern));
  redis.disconnect();
}

/**
 * A probe was not visible in time: the service fell behind. Carries the delays so far, ascending, the timed-out
 * probe counted as `timeoutMs` (a lower bound, so a p99 over them still shows the miss).
 */
export class ProbeTimeoutError extends Error {
  constructor(
    readonly probe: number,
    readonly timeoutMs: number,
    readonly delays: number[],
  ) {
    super(`probe ${probe} was not visible within ${timeoutMs} ms (is the service consuming, or behind its load?)`);
    this.name = 'ProbeTimeoutError';
  }
}

/**
 * Write → visible, one probe at a time: `write(i)` (through the gateway), then `visible` polled every
 * millisecond or so until it answers true. Returns the delays ascending, in ms. A probe not visible within
 * `timeoutMs` throws ProbeTimeoutError: a service that far behind only falls further, and each later probe
 * would wait longer still, so the run would not end.
 */
export async function writeToVisible<W>(
  count: number,
  write: (i: number) => Promise<W>,
  visible: (written: W) => Promise<boolean>,
  timeoutMs = 15_000,
): Promise<number[]> {
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const written = await write(i);
    while (!(await visible(written))) {
      if (performance.now() - started > timeoutMs)
        throw new ProbeTimeoutError(
          i,
          timeoutMs,
          [...delays, timeoutMs].sort((a, b) => a - b),
        );
      await sleep(1);
    }
    delays.push(performance.now() - started);
  }
  return delays.sort((a, b) => a - b);
}

/** `count` GETs of `pathOf(i)`, `concurrency` at a time; any answer but 200 stops the run, naming it. */
export function timeReads(client: HttpClient, count: number, concurrency: number, pathOf: (i: number) => string) {
  return timeConcurrent(count, concurrency, async (i) => {
    const path = pathOf(i);
    const reply = await client.get(path);
    if (reply.status !== 200) throw new Error(`GET ${path} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  });
}

/**
 * Each read route through the gateway (what the targets are about), then the same reads straight from the
 * owning service, so the gateway's share of the time shows. Every route is first read untimed, a fifth as
 * often, through both: freshly started processes compile their hot paths on the first requests, and
 * otherwise the first route measured would pay for it. Returns each route's p99 through the gateway.
 */
export async function measureReadRoutes(
  note: (name: string, value: string | number) => void,
  clients: { gateway: HttpClient; service: HttpClient; serviceName: string },
  routes: [string, () => string][],
  count: number,
  concurrency: number,
): Promise<Map<string, number>> {
  for (const [, pathOf] of routes)
    for (const client of [clients.gateway, clients.service])
      await timeReads(client, Math.ceil(count / 5), concurrency, pathOf);
  const p99s = new Map<string, number>();
  for (const [name, pathOf] of routes) {
    const { latencies, perSecond } = await timeReads(clients.gateway, count, concurrency, pathOf);
    note(`${name}: p50 / p99 ms`, p50p99(latencies, 2));
    note(`${name}: reads/s`, Math.round(perSecond));
    p99s.set(name, percentile(latencies, 99));
    const direct = await timeReads(clients.service, count, concurrency, pathOf);
    note(`${name}, straight from ${clients.serviceName}: p50 / p99 ms`, p50p99(direct.latencies, 2));
  }
  return p99s;
}

interface BatchTotals {
  batches: number;
  seconds: number;
  records: number;
}

/** The service's consumer batches so far, from its /metrics (a batch: what one fetch brought of one partition). */
export async function batchTotals(serviceUrl: string): Promise<BatchTotals> {
  const text = await metricsText(serviceUrl);
  const total = (name: string) => metricTotal(text, name);
  return {
    batches: total('tally_batch_duration_seconds_count'),
    seconds: total('tally_batch_duration_seconds_sum'),
    records: total('tally_records_processed_total'),
  };
}

/** The batches between two readings of batchTotals, in words. */
export function describeBatches(before: BatchTotals, after: BatchTotals): string {
  const batches = after.batches - before.batches;
  const perBatch = (n: number) => (batches > 0 ? n / batches : NaN);
  return `${batches} batches, ${Math.round(perBatch(after.records - before.records))} records and ${ms(perBatch(after.seconds - before.seconds) * 1000)} ms each on average`;
}

export async function batchSummary(serviceUrl: string): Promise<string> {
  return describeBatches({ batches: 0, seconds: 0, records: 0 }, await batchTotals(serviceUrl));
}

/** Throws unless the reply has `status`, with what the server said. */
export function expectStatus(reply: Reply, status: number, what: string): Reply {
  if (reply.status !== status)
    throw new Error(`${what} answered ${reply.status} (expected ${status}): ${reply.body.slice(0, 300)}`);
  return reply;
}

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/**
 * POST → visible, idle and then under background load at `halfRate` events/s (open loop through the gateway),
 * noted under the names every benchmark uses; then waits until the service has caught up with the load. A probe
 * that times out is noted with the probes before it, rather than losing the run's other measures. With
 * `serviceUrl`, the consumer batches of the service under the load are noted too (small batches with a large
 * fixed cost each are the usual reason a service falls behind a load below its drain rate).
 */
export async function measureWriteToVisible(
  note: (name: string, value: string | number) => void,
  probe: (label: string) => Promise<number[]>,
  load: {
    halfRate: number;
    send: (count: number) => Promise<number>;
    maxInFlight: number;
    what: string;
    caughtUp: () => Promise<void>;
    serviceUrl?: string;
  },
): Promise<void> {
  const probeAndNote = async (name: string, label: string) => {
    try {
      note(name, p50p99(await probe(label)));
    } catch (error) {
      if (!(error instanceof ProbeTimeoutError)) throw error;
      note(name, p50p99(error.delays));
      // a name of its own, not starting like the p50 / p99 one, which the suite finds by its beginning
      note(
        `probes (${label}) visible before one was not within ${error.timeoutMs} ms, when probing stopped`,
        error.probe,
      );
    }
  };
  await probeAndNote('POST → visible in GET, idle: p50 / p99 ms', 'idle');
  const batchesBefore = load.serviceUrl ? await batchTotals(load.serviceUrl) : undefined;
  const background = backgroundLoad(load.halfRate, load.send, load.maxInFlight);
  await probeAndNote(`POST → visible in GET, under ${load.halfRate}/s load: p50 / p99 ms`, 'loaded');
  const accepted = await background.stop();
  note(`background load actually accepted (${load.what})/s`, Math.round(accepted.perSecond));
  if (load.serviceUrl)
    note('consumer batches under that load', describeBatches(batchesBefore!, await batchTotals(load.serviceUrl)));
  await load.caughtUp();
}
