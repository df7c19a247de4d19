/**
 * Sustained-load benchmark on this machine (not a test: it prints numbers). One service as its own process, on
 * topics, consumer group, schema and Redis prefix of its own run:
 *   1. its drain rate: a backlog produced while it is not running, then drained from its first processed record
 *      to lag 0 (bench.drainReported, as every service benchmark measures it);
 *   2. then, on the same process, records at 80% of that rate (open loop, straight to its topic: see
 *      service-loads.ts) for --minutes, sampled every --every seconds: the group's lag, the process's RSS, its
 *      CPU and the share of that CPU spent in GC;
 *   3. whether the lag is bounded: its slope over the second half of the samples (curve.ts says why that);
 *      and how long the service takes to read what is left once the load stops.
 * Usage: node --import tsx scripts/bench/sustained.ts [--service counters|wallet|queue] [--minutes 10]
 *          [--every 10] [--backlog 200000] [--share 0.8]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { consumerLag } from '@tally/streaming';
import type { TestStack } from '@tally/testkit';
import { compactCurve, lagTrend, type Point } from './curve.js';
import * as bench from './lib.js';
import { intervalUse, mebibytes, sampleProcess, type IntervalUse, type ResourceSample } from './resources.js';
import { LOAD_KINDS, kafkaSender, serviceLoad, type LoadKind } from './service-loads.js';

const { values: args } = parseArgs({
  options: {
    service: { type: 'string', default: 'counters' },
    minutes: { type: 'string', default: '10' },
    every: { type: 'string', default: '10' },
    backlog: { type: 'string', default: '200000' },
    share: { type: 'string', default: '0.8' },
  },
});
if (!LOAD_KINDS.includes(args.service as LoadKind))
  throw new Error(`--service must be one of ${LOAD_KINDS.join(', ')} (got ${args.service})`);
const MINUTES = Number(args.minutes);
const EVERY_SECONDS = Number(args.every);
const BACKLOG = Number(args.backlog);
const SHARE = Number(args.share);
const run = `bench_sustained_${Date.now().toString(36)}`;
const redisPrefix = `tally:${run}`;
const group = `${run}-group`;
const load = serviceLoad(args.service as LoadKind, { run, redisPrefix });
const out = bench.benchResults({ run, service: load.service, minutes: MINUTES, 'drain backlog': BACKLOG }, 58);

/** One sample of the run: the group's lag and the process's resources. */
interface Sample {
  atSeconds: number;
  lag: number;
  resources: ResourceSample;
}

async function totalLag(admin: ReturnType<bench.Kafka['admin']>): Promise<number> {
  return (await consumerLag(admin, group, [load.input.topic])).reduce((sum, p) => sum + p.lag, 0);
}

/**
 * Samples every EVERY_SECONDS until `seconds` have passed since `startedAt`, logging each as it is taken (a long
 * run shows its progress); the samples start with one at 0 s, the baseline of the first interval.
 */
async function sampleFor(
  kafka: bench.Kafka,
  process: { pid: number; url: string },
  startedAt: number,
  seconds: number,
): Promise<Sample[]> {
  const admin = kafka.admin();
  await admin.connect();
  const samples: Sample[] = [];
  try {
    for (let i = 0; i * EVERY_SECONDS <= seconds; i++) {
      await bench.sleep(Math.max(0, startedAt + i * EVERY_SECONDS * 1000 - performance.now()));
      const [lag, resources] = await Promise.all([totalLag(admin), sampleProcess(process.pid, process.url)]);
      const sample = { atSeconds: (resources.atMs - startedAt) / 1000, lag, resources };
      const previous = samples.at(-1);
      samples.push(sample);
      console.log(`    ${describeSample(sample, previous)}`);
    }
  } finally {
    await admin.disconnect();
  }
  return samples;
}

function describeSample(sample: Sample, previous: Sample | undefined): string {
  const use = previous ? intervalUse(previous.resources, sample.resources) : undefined;
  const cpu = use ? `, CPU ${Math.round(use.cpuPercent)}%, GC ${use.gcShareOfBusyPercent.toFixed(1)}% of it` : '';
  return `${Math.round(sample.atSeconds)} s: lag ${sample.lag}, RSS ${mebibytes(sample.resources.rssBytes)} MiB${cpu}`;
}

/** The lag curve and whether it settled, as results. */
function noteLag(samples: Sample[], sentPerSecond: number) {
  const lags: Point[] = samples.map((s) => ({ atSeconds: s.atSeconds, value: s.lag }));
  const trend = lagTrend(lags, sentPerSecond);
  out.note(`lag curve, records (every ${EVERY_SECONDS} s)`, compactCurve(lags));
  out.note('lag max, records', Math.max(...lags.map((p) => p.value)));
  out.note('lag at end, records', lags.at(-1)!.value);
  out.note('lag slope over the second half, records/s', +trend.perSecond.toFixed(1));
  out.note('lag bounded (second-half slope ≤ 1% of the rate sent)', trend.bounded ? 'yes' : 'no');
}

/** The process's memory, CPU and GC over the load, as curves (one value an interval) and over the whole. */
function noteResources(samples: Sample[]) {
  const rss: Point[] = samples.map((s) => ({ atSeconds: s.atSeconds, value: mebibytes(s.resources.rssBytes) }));
  const perInterval = samples
    .slice(1)
    .map((s, i) => ({ atSeconds: s.atSeconds, ...intervalUse(samples[i]!.resources, s.resources) }));
  const curveOf = (value: (u: IntervalUse) => number, digits = 0) =>
    compactCurve(
      perInterval.map((u) => ({ atSeconds: u.atSeconds, value: value(u) })),
      digits,
    );
  const whole = intervalUse(samples[0]!.resources, samples.at(-1)!.resources);
  out.note(`RSS curve, MiB (every ${EVERY_SECONDS} s)`, compactCurve(rss));
  out.note('RSS max MiB', Math.max(...rss.map((p) => p.value)));
  out.note(
    `CPU curve, % of one core (per ${EVERY_SECONDS} s)`,
    curveOf((u) => u.cpuPercent),
  );
  out.note('CPU mean, % of one core', Math.round(whole.cpuPercent));
  out.note(
    `GC share of busy CPU curve, % (per ${EVERY_SECONDS} s)`,
    curveOf((u) => u.gcShareOfBusyPercent, 1),
  );
  out.note('GC share of busy CPU %', +whole.gcShareOfBusyPercent.toFixed(2));
  out.note('GC pauses, % of wall time', +whole.gcShareOfWallPercent.toFixed(2));
  // GC pauses are timed on the wall clock: on oversubscribed cores they include waits for a core (resources.ts)
  out.note('machine load average (1 min) at the end of the load', +loadavg()[0]!.toFixed(1));
}

/** How long the group takes to reach lag 0 once the load has stopped. */
async function timeCatchUp(kafka: bench.Kafka): Promise<void> {
  const started = performance.now();
  await bench.waitForDrain(kafka, group, [load.input.topic]);
  out.note('caught up after the load stopped, s', +((performance.now() - started) / 1000).toFixed(1));
}

async function sustain(stack: TestStack, kafka: bench.Kafka, service: { pid: number; url: string }, rate: number) {
  const sender = kafkaSender(stack, load);
  const startedAt = performance.now();
  const background = bench.backgroundLoad(rate, sender.send);
  let samples: Sample[];
  let accepted: { perSecond: number };
  try {
    samples = await sampleFor(kafka, service, startedAt, MINUTES * 60);
  } finally {
    accepted = await background.stop();
    await sender.close();
  }
  out.note(`${load.unit} sent (accepted by Kafka) during the load, /s`, Math.round(accepted.perSecond));
  noteLag(samples, accepted.perSecond);
  noteResources(samples);
  await timeCatchUp(kafka);
}

async function measure(stack: TestStack, services: bench.BenchServices, kafka: bench.Kafka) {
  const drained = await bench.drainReported(
    out.note,
    stack,
    services,
    { ...load.input, records: load.records(BACKLOG), unit: load.unit },
    { name: load.service, group, env: load.env },
  );
  const rate = Math.round(SHARE * drained.eventsPerSecond);
  out.note(`${load.unit} offered/s (${Math.round(SHARE * 100)}% of the drain rate), for ${MINUTES} min`, rate);
  const pid = drained.service.child.pid;
  if (pid === undefined) throw new Error(`${load.service} has no process id`);
  await sustain(stack, kafka, { pid, url: drained.service.url }, rate);
}

void bench.runBench({
  title: `sustained-load benchmark ${run} (${load.service})`,
  topics: load.topics,
  created: { groups: [group], schemas: [load.schema], redisPrefix },
  printJson: out.printJson,
  measure,
});
