/**
 * The benchmark suite: one run on this machine, everything measured in it, written to docs/BENCHMARKS.md and
 * docs/benchmarks.json. Anchors first (Kafka's producer and consumer perf tests, redis-benchmark), then each
 * service's benchmark as its own process (each prints one JSON line last), then the targets checked against
 * the numbers. Not a test: it prints and writes numbers.
 * Usage: pnpm bench [--quick]   (--quick: smaller runs, for trying the suite itself)
 *        pnpm bench --only counters,wallet   (some of the benchmarks; the page says which did not run)
 *        pnpm bench --render    (docs/BENCHMARKS.md again from docs/benchmarks.json, after editing causes.ts: no run)
 *        pnpm bench --only waiting-room --merge   (adds those benchmarks' numbers to the last run's page, each
 *                               marked with when it was measured: for a benchmark added after the run)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, stackUp } from '@tally/stack';
import { measureAnchors, type Anchors } from './anchors.js';
import { missedCauses, type Target } from './causes.js';
import { pair, serviceRates, targetsOf, valueOf, type Results } from './targets.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
    only: { type: 'string' },
    merge: { type: 'boolean', default: false },
  },
});

/** Benchmarks measured after the run the page is of (--merge): name → when. */
let later: Record<string, string> = {};

const benches: { name: string; script: string; args: string[]; quickArgs: string[] }[] = [
  {
    name: 'viewers',
    script: 'scripts/bench/viewers.ts',
    args: ['--seconds', '15', '--probes', '200'],
    quickArgs: ['--seconds', '4', '--probes', '40'],
  },
  {
    // one stream with 200,000 live sessions every 5 s: its ceiling on 1 shard and on 12, exact final counts
    name: 'hot-stream',
    script: 'scripts/bench/hot-stream.ts',
    args: [],
    quickArgs: ['--quick'],
  },
  {
    name: 'counters',
    script: 'scripts/bench/counters.ts',
    args: ['--events', '500000', '--reads', '2000'],
    quickArgs: ['--events', '50000', '--reads', '300'],
  },
  {
    name: 'votes',
    script: 'scripts/bench/votes.ts',
    args: ['--ballots', '200000', '--probes', '100'],
    quickArgs: ['--ballots', '30000', '--probes', '20'],
  },
  { name: 'wallet', script: 'scripts/bench/wallet.ts', args: [], quickArgs: ['--quick'] },
  { name: 'queue', script: 'scripts/bench/queue.ts', args: [], quickArgs: ['--quick'] },
  // the waiting room: a simulated sale's wait estimates against the waits fans had, and a million in line
  { name: 'waiting-room', script: 'scripts/bench/waiting-room.ts', args: [], quickArgs: ['--quick'] },
  { name: 'gateway', script: 'scripts/bench/gateway.ts', args: [], quickArgs: ['--quick'] },
  { name: 'ingest', script: 'scripts/bench/ingest.ts', args: [], quickArgs: ['--quick'] },
  {
    name: 'sustained',
    script: 'scripts/bench/sustained.ts',
    args: ['--service', 'counters', '--minutes', '10'],
    quickArgs: ['--service', 'counters', '--minutes', '1'],
  },
  {
    // 10× of a third of the example state (3 M like registers, 300,000 wallets with 10 entries each,
    // 300,000 tickets at 10×): the full 10 M takes longer to seed than the rest of the suite runs
    name: 'growth',
    script: 'scripts/bench/growth.ts',
    args: ['--scale', '0.3'],
    quickArgs: ['--scale', '0.02', '--events', '20000', '--reads', '500'],
  },
];

/** Runs one benchmark script, its output passed through, and returns the JSON object it prints last. */
function runBench(script: string, benchArgs: string[]): Promise<Results> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...benchArgs], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      output = (output + chunk.toString()).slice(-64 * 1024);
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      const last =
        output
          .split('\n')
          .filter((l) => l.trim())
          .pop() ?? '';
      try {
        resolve(JSON.parse(last) as Results);
      } catch {
        reject(new Error(`${script} did not end with a JSON line (last: ${last.slice(0, 200)})`));
      }
    });
  });
}

function markdown(started: Date, anchors: Anchors, results: Record<string, Results>, targets: Target[]): string {
  const table = (rows: [string, string | number][]) =>
    ['| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const consume = anchors.kafkaConsumeRecordsPerSecond;
  const ratio = (value: string | number | undefined) => (Number(value) / consume).toFixed(3);
  return [
    '# Benchmarks',
    '',
    `One run of \`pnpm bench\` on ${started.toISOString()}: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}. ` +
      'Kafka, the schema registry, Redis, Postgres, the services and the load clients all share this machine. Generated: edit scripts/bench/suite.ts, not this file.',
    '',
    ...notRun(results),
    ...Object.entries(later).map(
      ([name, at]) => `**${name}** was measured later, on ${at}, and merged into this run's page (\`--merge\`).\n`,
    ),
    '## Anchors: what the machine does with the tools’ own benchmarks',
    '',
    table([
      [
        `kafka-producer-perf-test, ${anchors.records} records of ${anchors.recordBytes} B, acks=all: records/s`,
        anchors.kafkaProduceRecordsPerSecond,
      ],
      ['kafka-producer-perf-test: p99 ms', anchors.kafkaProduceP99Ms],
      ['kafka-consumer-perf-test, the same records: records/s', consume],
      [
        'redis-benchmark SET / GET / ZADD (50 clients, no pipelining): ops/s',
        `${anchors.redisSetPerSecond} / ${anchors.redisGetPerSecond} / ${anchors.redisZaddPerSecond}`,
      ],
    ]),
    '',
    '## Targets',
    '',
    '| measure | measured | target | |',
    '|---|---|---|---|',
    ...targets.map((t) => `| ${t.what} | ${t.measured} | ${t.target} | ${t.met ? 'met' : '**missed**'} |`),
    '',
    '## Ratios',
    '',
    table([
      ...serviceRates.map(([what, bench, prefix]): [string, string] => [
        `${what.split(':')[0]} events/s ÷ Kafka raw consume rate`,
        ratio(valueOf(results[bench]!, prefix)),
      ]),
      [
        'counters: GET counts p99 ÷ naive JOIN + COUNT p99 (no index, as in seed 001)',
        (
          pair(valueOf(results.counters!, 'GET counts'))[1]! /
          pair(valueOf(results.counters!, 'naive JOIN + COUNT, no index'))[1]!
        ).toFixed(3),
      ],
      [
        'wallet: GET balance p99 ÷ naive SUM over the history p99',
        String(valueOf(results.wallet!, 'GET /v1/wallets/{userId} p99 ÷ naive')),
      ],
      [
        'queue: GET ticket p99 ÷ naive COUNT of the rows ahead p99',
        String(valueOf(results.queue!, 'GET /v1/queues/{queueId}/tickets/{ticketId} p99 ÷ naive')),
      ],
    ]),
    '',
    ...missedCauses(targets),
    ...Object.entries(results).flatMap(([name, r]) => [`## ${name}`, '', table(Object.entries(r)), '']),
  ].join('\n');
}

const docs = join(repoRoot, 'docs');

/** The benchmarks of the suite this run has no numbers of (`--only`, or a run cut short), said at the top. */
function notRun(results: Record<string, Results>): string[] {
  const missing = benches.map((b) => b.name).filter((name) => !(name in results));
  if (missing.length === 0) return [];
  return [`**Not run in this run: ${missing.join(', ')}.** Their targets below read as missed (no number).`, ''];
}

/** Writes the numbers so far and their page: after every benchmark, so a run cut short still publishes. */
function publish(started: Date, anchors: Anchors, results: Record<string, Results>): Target[] {
  const targets = targetsOf(results);
  mkdirSync(docs, { recursive: true });
  writeFileSync(
    join(docs, 'benchmarks.json'),
    `${JSON.stringify({ started: started.toISOString(), quick: args.quick, anchors, results, targets, later }, null, 2)}\n`,
  );
  writeFileSync(join(docs, 'BENCHMARKS.md'), `${markdown(started, anchors, results, targets)}\n`);
  return targets;
}

function savedRun() {
  return JSON.parse(readFileSync(join(docs, 'benchmarks.json'), 'utf8')) as {
    started: string;
    anchors: Anchors;
    results: Record<string, Results>;
    later?: Record<string, string>;
  };
}

/** The markdown again from the numbers of the last run, e.g. after the analysis of a miss was written. */
function render(): void {
  const saved = savedRun();
  later = saved.later ?? {};
  const targets = targetsOf(saved.results);
  writeFileSync(
    join(docs, 'BENCHMARKS.md'),
    `${markdown(new Date(saved.started), saved.anchors, saved.results, targets)}\n`,
  );
  console.log(`rendered docs/BENCHMARKS.md from docs/benchmarks.json (${saved.started})`);
}

async function main() {
  if (args.render) return render();
  const only = args.only?.split(',').map((name) => name.trim());
  if (args.merge && !only) throw new Error('--merge adds the benchmarks --only names to the last run: name them');
  const saved = args.merge ? savedRun() : undefined;
  later = saved?.later ?? {};
  const started = saved ? new Date(saved.started) : new Date();
  await stackUp(() => undefined);
  let anchors: Anchors;
  if (saved) anchors = saved.anchors;
  else {
    console.log('anchors: kafka-producer-perf-test, kafka-consumer-perf-test, redis-benchmark');
    anchors = await measureAnchors(args.quick ? { records: 100_000 } : {});
    console.log(JSON.stringify(anchors));
  }
  const results: Record<string, Results> = saved?.results ?? {};
  for (const bench of benches.filter((b) => !only || only.includes(b.name))) {
    console.log(`\n== ${bench.name}`);
    // one benchmark that fails is reported as failed; the others still run and are published
    results[bench.name] = await runBench(bench.script, args.quick ? bench.quickArgs : bench.args).catch(
      (error: unknown): Results => {
        console.error(error);
        return { 'benchmark failed': String(error instanceof Error ? error.message : error) };
      },
    );
    if (saved) later[bench.name] = new Date().toISOString();
    publish(started, anchors, results);
  }
  const targets = publish(started, anchors, results);
  console.log(
    `\nwrote docs/BENCHMARKS.md and docs/benchmarks.json; targets missed: ${
      targets
        .filter((t) => !t.met)
        .map((t) => t.what)
        .join('; ') || 'none'
    }`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
