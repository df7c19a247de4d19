/**
 * The HTTP fuzzer of the fault and abuse suite (issue 9). Over every route of the gateway's OpenAPI document:
 *   baseline  one valid request per route, to show the cases below start from requests the gateway takes;
 *   (a)       thousands of random and mutated requests (bodies, JSON text, headers, framing, paths, methods,
 *             queries, authorization): any answer is fine except a 5xx or a dropped connection;
 *   (b)       certainly invalid requests to the write routes: every answer must be a 4xx, and the topics the
 *             gateway writes to must hold exactly as many records after the phase as before it.
 * Deterministic for a seed: the same requests in the same order (answers may arrive in another order).
 * Usage: node --import tsx scripts/faults/fuzz.ts [--requests 5000] [--seed 1] [--concurrency 8]
 *          [--gateway URL --key K --brokers B [--topics t1,t2]]
 * Without --gateway it starts a gateway and its readers of its own, on topics of the run's own. With it, phase (b)
 * watches --topics, else the topics a gateway with default settings writes to.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { stackEndpoints } from '@tally/stack';
import { DEV_API_KEY } from '@tally/contracts';
import { invalidCase } from './fuzz/invalid-cases.js';
import { loadRoutes, routeName, type ApiRoute } from './fuzz/openapi.js';
import { startFuzzStack } from './fuzz/own-stack.js';
import { Prng } from './fuzz/prng.js';
import { exchange, originOf, type Answer, type FuzzRequest, type Origin } from './fuzz/raw-http.js';
import { randomCase } from './fuzz/random-cases.js';
import { FuzzTally, isClientError, isServerError, type FuzzFinding } from './fuzz/report.js';
import { sendAs, type CaseBuilder } from './fuzz/request-parts.js';
import { gatewayWriteTopics, recordsIn } from './fuzz/topic-offsets.js';
import { validParts } from './fuzz/valid-requests.js';

export type { FuzzFinding } from './fuzz/report.js';

export interface FuzzOptions {
  gatewayUrl: string;
  apiKey: string;
  brokers: string[];
  /** In all, baseline and both phases; a fifth (at least 100) goes to phase (b). */
  requests: number;
  seed: number;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** What phase (b) watches: the topics the gateway writes to (default: those of a gateway with default settings). */
  watchTopics?: string[];
}

export interface FuzzReport {
  /** Total sent. */
  requests: number;
  /** e.g. {"400": 3120, "404": 800, "202": 40, "connection error": 0}. */
  byStatus: Record<string, number>;
  /** 5xx answers and connection errors (dropped, reset, no answer): must be 0. */
  serverErrors: number;
  /** The first 20 failures by request number: a 5xx, a dropped connection, or an invalid-only request answered other than 4xx. */
  findings: FuzzFinding[];
  invalidOnly: { requests: number; non4xx: number; topicRecordsWritten: number; topics: string[] };
  /**
   * Writes accepted (202) before phase (b), in the baseline and phase (a), and the records the watched topics
   * gained meanwhile: records while writes were accepted show the watched topics are the ones the gateway writes to.
   */
  validWrites: { accepted: number; recordsWritten: number };
  /** Per case family ("body field", "framing", "method", ...): the answers by status. */
  byCase: Record<string, Record<string, number>>;
  /** The valid request of each route and what it was answered: the cases are changes of these. */
  baseline: Record<string, number | 'connection error'>;
  seconds: number;
}

const REQUEST_TIMEOUT_MS = 15_000;
/** The gateway answers a write only after Kafka acknowledged it; this is margin for a record in flight anyway. */
const SETTLE_MS = 1000;

export async function fuzzHttpApi(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const topics = options.watchTopics ?? gatewayWriteTopics();
  // read before any request, so watched topics that do not exist fail the run at once
  const atStart = await recordsIn(options.brokers, topics);
  const run = new FuzzRun(options, await loadRoutes(options.gatewayUrl));
  const seeds = new Prng(options.seed);
  const [baselinePrng, randomPrng, invalidPrng] = [seeds.fork(), seeds.fork(), seeds.fork()];

  const baseline = await run.baseline(baselinePrng);
  const invalidCount = Math.max(100, Math.round(options.requests / 5));
  const randomCount = Math.max(0, options.requests - run.routes.length - invalidCount);
  await run.random(randomPrng, randomCount);

  // phase (b): nothing valid is in flight now, so every record the watched topics gain came from these requests
  const accepted = run.tally.byStatus['202'] ?? 0;
  const before = await recordsIn(options.brokers, topics);
  const non4xx = await run.invalid(invalidPrng, invalidCount);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const after = await recordsIn(options.brokers, topics);

  return {
    requests: run.tally.requests,
    byStatus: run.tally.byStatus,
    serverErrors: run.tally.serverErrors,
    findings: run.tally.findings(),
    invalidOnly: { requests: invalidCount, non4xx, topicRecordsWritten: after - before, topics },
    validWrites: { accepted, recordsWritten: before - atStart },
    byCase: run.tally.byCase,
    baseline,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/** The routes under fuzz and every answer so far; requests are numbered across the phases, in sending order. */
class FuzzRun {
  readonly tally = new FuzzTally();
  private readonly origin: Origin;
  private sent = 0;

  constructor(
    private readonly options: FuzzOptions,
    readonly routes: ApiRoute[],
  ) {
    this.origin = originOf(options.gatewayUrl);
  }

  /** One valid request per route; answers what each got. */
  async baseline(prng: Prng): Promise<Record<string, number | 'connection error'>> {
    const statuses: Record<string, number | 'connection error'> = {};
    const requests = this.routes.map((route) =>
      sendAs(
        { route, parts: validParts(route, prng), prng, apiKey: this.options.apiKey },
        `baseline: ${routeName(route)}`,
      ),
    );
    await this.send(requests.values(), (answer, request) => {
      statuses[request.label.slice('baseline: '.length)] = answer.status;
      return isServerError(answer);
    });
    return statuses;
  }

  /** Phase (a). */
  async random(prng: Prng, count: number): Promise<void> {
    await this.send(cases(this.routes, randomCase, prng, this.options.apiKey, count), isServerError);
  }

  /** Phase (b), on the write routes; answers how many were answered other than 4xx. */
  async invalid(prng: Prng, count: number): Promise<number> {
    let non4xx = 0;
    const writeRoutes = this.routes.filter((route) => route.needsKey && route.body);
    await this.send(cases(writeRoutes, invalidCase, prng, this.options.apiKey, count), (answer) => {
      const refused = isClientError(answer);
      if (!refused) non4xx++;
      return !refused;
    });
    return non4xx;
  }

  /** Sends `concurrency` at a time, in order; `failed` judges each answer (and may note it), the tally counts it. */
  private async send(
    requests: Iterator<FuzzRequest>,
    failed: (answer: Answer, request: FuzzRequest) => boolean,
  ): Promise<void> {
    const worker = async () => {
      for (let next = requests.next(); !next.done; next = requests.next()) {
        const [index, request] = [this.sent++, next.value];
        const answer = await exchange(this.origin, request, REQUEST_TIMEOUT_MS);
        this.tally.record(index, request, answer, failed(answer, request));
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 8 }, worker));
  }
}

/** `count` cases over `routes`, made one at a time as they are sent (some bodies are a megabyte). */
function* cases(
  routes: ApiRoute[],
  build: CaseBuilder,
  prng: Prng,
  apiKey: string,
  count: number,
): Generator<FuzzRequest> {
  for (let i = 0; i < count; i++) {
    const route = prng.pick(routes);
    yield build({ route, parts: validParts(route, prng), prng, apiKey });
  }
}

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '5000' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8' },
    gateway: { type: 'string' },
    key: { type: 'string' },
    brokers: { type: 'string' },
    topics: { type: 'string' },
  },
  // imported by the fault suite's runner, this module must not read that runner's own arguments
  args: isMain() ? process.argv.slice(2) : [],
});

function isMain(): boolean {
  return process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
}

function printReport(report: FuzzReport): void {
  console.log(`\n${report.requests} requests in ${report.seconds} s; by status: ${JSON.stringify(report.byStatus)}`);
  console.log(`5xx answers or dropped connections: ${report.serverErrors}`);
  const b = report.invalidOnly;
  console.log(
    `invalid-only: ${b.requests} requests, ${b.non4xx} answered other than 4xx, ${b.topicRecordsWritten} records written to ${b.topics.length} topics`,
  );
  console.log(
    `writes accepted (202) before phase (b): ${report.validWrites.accepted}; records the watched topics gained meanwhile: ${report.validWrites.recordsWritten}`,
  );
  console.log(`baseline (one valid request per route): ${JSON.stringify(report.baseline)}`);
  for (const [family, statuses] of Object.entries(report.byCase))
    console.log(`  ${family.padEnd(26)} ${JSON.stringify(statuses)}`);
  for (const f of report.findings)
    console.log(`FINDING ${f.status} ${f.method} ${f.path} [${f.case}] -> ${f.response}`);
}

async function main(): Promise<void> {
  const log = (line: string) => console.log(line);
  const own = args.gateway ? undefined : await startFuzzStack(log);
  try {
    const options: FuzzOptions = {
      gatewayUrl: own?.gatewayUrl ?? args.gateway!,
      apiKey: own?.apiKey ?? args.key ?? DEV_API_KEY,
      brokers: own?.brokers ?? (args.brokers ?? process.env.KAFKA_BROKERS)?.split(',') ?? stackEndpoints().brokers,
      requests: Number(args.requests),
      seed: Number(args.seed),
      concurrency: Number(args.concurrency),
      ...(own || args.topics ? { watchTopics: own?.gatewayTopics ?? args.topics!.split(',') } : {}),
    };
    log(`fuzzing ${options.gatewayUrl} with ${options.requests} requests, seed ${options.seed}`);
    const report = await fuzzHttpApi(options);
    printReport(report);
    if (report.serverErrors > 0 || report.invalidOnly.non4xx > 0 || report.invalidOnly.topicRecordsWritten !== 0)
      process.exitCode = 1;
    console.log(JSON.stringify(report));
  } finally {
    await own?.stop();
  }
}

if (isMain()) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
