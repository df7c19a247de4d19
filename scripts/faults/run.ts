/**
 * The fault and abuse suite: one command. It starts a Tally of its own (environment.ts), drives steady load
 * through the gateway (workload.ts), injects every fault of schedule.ts while the load runs, and after each
 * one pauses the load and checks every product's invariants exactly (invariants.ts). Then it fuzzes the HTTP
 * API (fuzz.ts), attacks it from outside (abuse.ts: access without the right credentials, guessed tickets,
 * tampered tokens, floods and slow clients) and writes docs/RELIABILITY.md and docs/reliability.json. Not a
 * test: it reports, and exits 1 on any failure.
 * Usage: pnpm faults [--quick] [--rate 300] [--fuzz 5000] [--guesses 10000]
 *   (--quick: one SIGKILL per service, 1,000 fuzz requests, smaller floods)
 *        pnpm faults --cluster [--rate 300]
 *   (three brokers, a Redis Cluster, two instances of every service: cluster-schedule.ts's faults, no fuzzing or
 *   abuse; writes docs/RELIABILITY-CLUSTER.md and docs/reliability-cluster.json)
 */
import { parseArgs } from 'node:util';
import { abuseFailed, printAbuseReport, runAbuseSuite } from './abuse.js';
import { startFaultEnvironment } from './environment.js';
import { fuzzHttpApi } from './fuzz.js';
import { clusterFaultSchedule } from './cluster-schedule.js';
import { checkInvariants } from './invariants.js';
import { writeReliabilityReport, type FaultOutcome } from './report.js';
import { faultSchedule, type Fault } from './schedule.js';
import { createWorkload, type Workload } from './workload.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    cluster: { type: 'boolean', default: false },
    rate: { type: 'string', default: '300' },
    fuzz: { type: 'string' },
    guesses: { type: 'string', default: '10000' },
  },
});
const started = new Date();
const log = (line: string) =>
  console.log(`[${((Date.now() - started.getTime()) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Load keeps running this long after a fault is repaired before the check: recovery happens under load. */
const UNDER_LOAD_AFTER_MS = 10_000;

async function main() {
  const env = await startFaultEnvironment(log, { cluster: args.cluster });
  const outcomes: FaultOutcome[] = [];
  try {
    const workload = createWorkload(env, {
      ratePerSecond: Number(args.rate),
      runId: `faults-${started.getTime().toString(36)}`,
    });
    workload.start();
    await sleep(10_000);
    const baseline: Fault = {
      name: 'none (baseline after 10 s of load)',
      how: 'no fault: the invariants hold before anything breaks',
      inject: async () => undefined,
    };
    const schedule = args.cluster
      ? clusterFaultSchedule()
      : faultSchedule({
          killsPerService: args.quick ? 1 : 3,
          services: env.services.map((s) => s.spec.name),
        });
    for (const fault of [baseline, ...schedule]) outcomes.push(await injectAndCheck(fault, env, workload));
    if (args.cluster) {
      await workload.stop();
      const written = writeReliabilityReport({
        started,
        finished: new Date(),
        quick: false,
        rate: Number(args.rate),
        outcomes,
        stats: workload.stats(),
        cluster: {
          brokers: env.brokers.length,
          redisNodes: 6,
          instancesPerService: 2,
          services: [...new Set(env.services.map((s) => s.spec.role))].length,
        },
      });
      log(`wrote ${written.join(' and ')}`);
      if (outcomes.some((o) => !o.survived)) process.exitCode = 1;
      return;
    }
    // the fuzzer checks that invalid requests write nothing: no valid write of the workload's may run meanwhile
    await workload.stop();
    const requests = Number(args.fuzz ?? (args.quick ? 1000 : 5000));
    log(`fuzzing the HTTP API with ${requests} requests`);
    const fuzz = await fuzzHttpApi({
      gatewayUrl: env.gatewayUrl,
      apiKey: env.apiKey,
      brokers: env.brokers,
      requests,
      seed: 1,
    });
    log(`fuzz: ${JSON.stringify(fuzz.byStatus)}; 5xx or dropped: ${fuzz.serverErrors}`);
    log('attacking the API from outside (abuse)');
    const abuse = await runAbuseSuite(env, { quick: args.quick, log, guesses: Number(args.guesses) });
    printAbuseReport(abuse, log);
    const written = writeReliabilityReport({
      started,
      finished: new Date(),
      quick: args.quick,
      rate: Number(args.rate),
      outcomes,
      stats: workload.stats(),
      fuzz,
      abuse,
    });
    log(`wrote ${written.join(' and ')}`);
    const failed = outcomes.filter((o) => !o.survived);
    if (failed.length > 0 || fuzz.serverErrors > 0 || abuseFailed(abuse)) process.exitCode = 1;
  } finally {
    await env.stop();
  }
}

async function injectAndCheck(
  fault: Fault,
  env: Awaited<ReturnType<typeof startFaultEnvironment>>,
  workload: Workload,
): Promise<FaultOutcome> {
  log(`fault: ${fault.name}`);
  const begun = Date.now();
  if (fault.paused) await workload.pause();
  let detail: string | undefined;
  let numbers: Record<string, number> | undefined;
  let error: string | undefined;
  try {
    const injected = await fault.inject(env, workload);
    if (typeof injected === 'string') detail = injected;
    else if (injected) ({ detail, numbers } = injected);
  } catch (cause) {
    error = cause instanceof Error ? cause.message : String(cause);
  }
  const repairedMs = Date.now() - begun;
  if (!fault.paused) {
    await sleep(UNDER_LOAD_AFTER_MS);
    await workload.pause();
  }
  const checkBegun = Date.now();
  const invariants = await checkInvariants(env, workload);
  const checkMs = Date.now() - checkBegun;
  await fault.after?.(env, workload).catch((cause: unknown) => {
    error ??= `undoing it failed: ${cause instanceof Error ? cause.message : String(cause)}`;
  });
  workload.resume();
  const failedChecks = invariants.filter((i) => !i.ok);
  log(
    `  repaired in ${repairedMs} ms, checked in ${checkMs} ms: ${invariants.length - failedChecks.length}/${invariants.length} invariants hold${error ? `; injection failed: ${error}` : ''}`,
  );
  for (const failure of failedChecks)
    log(
      `  FAILED ${failure.product}: ${failure.invariant}: expected ${failure.expected}, observed ${failure.observed}`,
    );
  return {
    fault: fault.name,
    how: fault.how,
    detail,
    numbers,
    error,
    repairedMs,
    checkMs,
    invariants,
    survived: !error && failedChecks.length === 0,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
