/**
 * The production build against tsx: each service's start time and memory, started as the image starts it (plain
 * node on the compiled app, production dependencies only) and as development starts it (node --import tsx on
 * the sources), alternately in the same run against the same stack.
 *
 *   pnpm bench:startup [--rounds 3]
 *
 * Per start: milliseconds to /healthz (the process is up: modules loaded, HTTP listening), to /readyz (Kafka,
 * Redis, Postgres connected, migrations run, the consumer in its group), the CPU time spent until ready, and
 * the resident memory when ready and 5 s later. Medians over the rounds. The compiled app is assembled first in
 * .stack/app (`pnpm build --out`, then the production install), as the Dockerfile does.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, stackDir } from '@tally/stack';
import { freePort, stackEnvironment } from '@tally/testkit';
import { localStack, sleep } from './lib.js';

const SERVICES: { name: string; env?: Record<string, string> }[] = [
  { name: 'ingest-gateway' },
  { name: 'viewer-aggregator' },
  { name: 'counter-materializer' },
  { name: 'wallet-ledger' },
  { name: 'queue-admitter' },
  { name: 'vote-merger', env: { VOTE_ROLE: 'region', REGION: 'kr' } },
];

type Mode = 'tsx' | 'compiled';

interface Start {
  healthyMs: number;
  readyMs: number;
  cpuMs: number;
  rssReadyMb: number;
  rssSettledMb: number;
}

const appDir = join(stackDir(), 'app');
const TICKS = 100; // USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

function assembleApp(): void {
  execFileSync('pnpm', ['-s', 'build:console'], { cwd: repoRoot, stdio: 'ignore' });
  execFileSync('pnpm', ['-s', 'build', '--out', appDir], { cwd: repoRoot, stdio: 'inherit' });
  execFileSync('pnpm', ['install', '--prod', '--frozen-lockfile', '--offline', '--reporter=silent'], {
    cwd: appDir,
    stdio: 'inherit',
  });
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
}

async function until(url: string, started: number, child: { exitCode: number | null }): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before ${url} answered`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return performance.now() - started;
    await sleep(20);
  }
}

async function startOnce(service: (typeof SERVICES)[number], mode: Mode, env: Record<string, string>): Promise<Start> {
  const port = await freePort();
  const [cwd, args] =
    mode === 'tsx'
      ? [repoRoot, ['--import', 'tsx', `services/${service.name}/src/main.ts`]]
      : [appDir, [`services/${service.name}/dist/main.js`]];
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env, ...service.env, LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port) },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const base = `http://127.0.0.1:${port}`;
    const healthyMs = await until(`${base}/healthz`, started, child);
    const readyMs = await until(`${base}/readyz`, started, child);
    const sample = { cpuMs: cpuMs(child.pid!), rssReadyMb: rssMb(child.pid!) };
    await sleep(5000);
    return { healthyMs, readyMs, ...sample, rssSettledMb: rssMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
  const rounds = Number(values.rounds);
  assembleApp();
  const env = stackEnvironment(await localStack());
  const rows: string[] = [
    '| service | to /healthz tsx → compiled (ms) | to /readyz tsx → compiled (ms) | CPU to ready (ms) | RSS ready (MB) | RSS 5 s later (MB) |',
    '|---|---|---|---|---|---|',
  ];
  for (const service of SERVICES) {
    const starts: Record<Mode, Start[]> = { tsx: [], compiled: [] };
    for (let round = 0; round < rounds; round++) {
      for (const mode of ['tsx', 'compiled'] as const) starts[mode].push(await startOnce(service, mode, env));
    }
    const pair = (key: keyof Start) =>
      `${median(starts.tsx.map((s) => s[key])).toFixed(0)} → ${median(starts.compiled.map((s) => s[key])).toFixed(0)}`;
    const row = `| ${service.name} | ${pair('healthyMs')} | ${pair('readyMs')} | ${pair('cpuMs')} | ${pair('rssReadyMb')} | ${pair('rssSettledMb')} |`;
    console.log(row);
    rows.push(row);
  }
  console.log(`\nmedians of ${rounds} starts each, alternating tsx and compiled, on ${env.KAFKA_BROKERS}:\n`);
  console.log(rows.join('\n'));
}

await main();
