/**
 * The workload and the invariants tried on their own, against the fault environment: load for a while, pause,
 * check; then for each fault asked for: load again, inject it under load (or paused, for the duplicates),
 * 5 s more load as run.ts does, pause, check. Prints every invariant, and the stats as the last line (JSON).
 * Usage: tsx scripts/faults/workload/smoke.ts [--seconds 60] [--rate 250]
 *          [--faults kill:counter-materializer,flush-redis,broker,postgres,duplicates,skew,late-retries,late-burst,replay,rebuild]
 * (the last five are the schedule's own faults of those names, paused or not as there).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startFaultEnvironment } from '../environment.js';
import { checkInvariants, type InvariantResult } from '../invariants.js';
import { faultSchedule, type Fault } from '../schedule.js';
import { createWorkload, type Workload } from '../workload.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rate: { type: 'string', default: '250' },
    faults: { type: 'string', default: 'kill:counter-materializer,duplicates' },
  },
});
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
// how late this process's own timers run: the load falls behind its rate when the machine starves it
const loopDelay = monitorEventLoopDelay({ resolution: 20 });
loopDelay.enable();

type Environment = Awaited<ReturnType<typeof startFaultEnvironment>>;

async function loadFor(workload: Workload, seconds: number): Promise<void> {
  for (let left = seconds; left > 0; left -= 10) {
    await sleep(Math.min(10, left) * 1000);
    const s = workload.stats();
    log(`  sent ${JSON.stringify(s.sent)} retried ${JSON.stringify(s.retried)} skipped ${JSON.stringify(s.skipped)}`);
    log(
      `  this process: event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms, max ${(loopDelay.max / 1e6).toFixed(0)} ms`,
    );
    loopDelay.reset();
  }
}

async function check(step: string, env: Environment, workload: Workload): Promise<InvariantResult[]> {
  const begun = Date.now();
  const results = await checkInvariants(env, workload);
  log(
    `${step}: ${results.filter((r) => r.ok).length}/${results.length} invariants hold (check took ${((Date.now() - begun) / 1000).toFixed(1)} s)`,
  );
  for (const r of results)
    log(`  ${r.ok ? 'ok    ' : 'FAILED'} ${r.product}: ${r.invariant}: expected ${r.expected}; observed ${r.observed}`);
  return results.filter((r) => !r.ok);
}

/** The schedule's faults smoke.ts can inject by a short name. */
const SCHEDULED: Record<string, string> = {
  skew: 'skewed clocks',
  'late-retries': 'late retries beyond the idempotency window',
  'late-burst': 'late-data burst',
  replay: 'full topic replay',
  rebuild: 'rebuild of every service',
};

function scheduled(name: string): Fault | undefined {
  const full = SCHEDULED[name];
  return full === undefined
    ? undefined
    : faultSchedule({ killsPerService: 0, services: [] }).find((f) => f.name === full);
}

/** Injects one fault; the load runs unless the fault needs it paused. */
async function inject(fault: string, env: Environment, workload: Workload): Promise<void> {
  const known = scheduled(fault);
  if (known) {
    const injected = await known.inject(env, workload);
    log(`  ${typeof injected === 'string' ? injected : (injected?.detail ?? '')}`);
  } else if (fault.startsWith('kill:')) {
    const service = env.service(fault.slice('kill:'.length));
    await service.stop('SIGKILL');
    await service.start();
  } else if (fault === 'flush-redis') await env.flushRedis();
  else if (fault === 'postgres') await env.restartPostgres();
  else if (fault === 'broker') {
    await env.stopBroker();
    await sleep(10_000);
    await env.startBroker();
  } else if (fault === 'duplicates') {
    const injected = await workload.injectDuplicatesAndReordered();
    log(`  ${injected.duplicated} duplicated (HTTP) and ${injected.reordered} reordered (Kafka) deliveries`);
  } else
    throw new Error(
      `unknown fault ${fault}: kill:<service>, flush-redis, postgres, broker, duplicates or ${Object.keys(SCHEDULED).join(', ')}`,
    );
}

async function main(): Promise<void> {
  const env = await startFaultEnvironment(log);
  const failed: string[] = [];
  try {
    const workload = createWorkload(env, { ratePerSecond: Number(args.rate), runId: `smoke-${started.toString(36)}` });
    workload.start();
    log(`load at ${args.rate}/s for ${args.seconds} s`);
    await loadFor(workload, Number(args.seconds));
    await workload.pause();
    failed.push(...(await check('after steady load', env, workload)).map((r) => `steady: ${r.invariant}`));
    for (const fault of args.faults.split(',').filter(Boolean)) {
      const paused = fault === 'duplicates' || scheduled(fault)?.paused === true;
      if (!paused) {
        workload.resume();
        await loadFor(workload, 10);
      }
      log(`fault: ${fault}`);
      await inject(fault, env, workload);
      if (!paused) {
        await loadFor(workload, 5);
        await workload.pause();
      }
      failed.push(...(await check(`after ${fault}`, env, workload)).map((r) => `${fault}: ${r.invariant}`));
      await scheduled(fault)?.after?.(env, workload);
    }
    console.log(JSON.stringify({ failed, stats: workload.stats() }));
  } finally {
    await env.stop();
  }
  if (failed.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
