/**
 * The faults of a run, in order. Each is injected while the load runs; the runner then lets the load go on for
 * a moment (recovery under load), pauses it and checks every invariant.
 */
import { createKafka } from '@tally/streaming';
import { moveGroupBack } from '@tally/stack';
import { createLogger } from '@tally/observability';
import type { FaultControls, FaultEnvironment } from './environment.js';
import { rebuildEverything } from './rebuild.js';
import type { Workload } from './workload.js';
import { lateMetricsCheck } from './workload/check-late.js';
import { internalsOf } from './workload/internals.js';
import { LATE_HEARTBEATS, LATE_RETRY_REPOSTS, LATE_RETRY_WRITES, LATE_VIEWS } from './workload/late-data.js';
import { groupsByProduct, type Injected, type Product } from './workload/stats.js';

export interface Fault {
  name: string;
  /** What a reader of the report needs to know about how it was done. */
  how: string;
  /** Injects the fault and brings the broken part back; returns a detail for the report (and its numbers), if any. */
  inject(env: FaultEnvironment & FaultControls, workload: Workload): Promise<string | Injected | void>;
  /** Faults that need the load paused while they run (the workload's own redeliveries, the replay). */
  paused?: boolean;
  /** Undoes what the fault left on purpose through the check (skewed clocks), before the load resumes. */
  after?(env: FaultEnvironment & FaultControls, workload: Workload): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The workload's own copies and reversed redeliveries, with the load paused (both runs have it). */
export const DUPLICATED_AND_REORDERED: Fault = {
  name: 'duplicated and reordered deliveries',
  how: 'accepted events POSTed again with their (source, seq) in shuffled order, and records of every input topic produced again in reverse order',
  paused: true,
  inject: async (_env, workload) => {
    const { duplicated, reordered } = await workload.injectDuplicatesAndReordered();
    return `${duplicated} duplicated, ${reordered} reordered`;
  },
};

export function faultSchedule(options: { killsPerService: number; services: string[] }): Fault[] {
  const kills: Fault[] = [];
  for (let round = 1; round <= options.killsPerService; round++) {
    for (const name of options.services) {
      kills.push({
        name: `SIGKILL ${name} (${round} of ${options.killsPerService})`,
        how: 'kill -9 of the process under load; started again at once (it rejoins its group after the dead member’s 10 s session ends)',
        inject: async (env) => {
          await env.service(name).stop('SIGKILL');
          await env.service(name).start();
        },
      });
    }
  }
  return [
    ...kills,
    {
      name: 'Kafka broker stop and start',
      how: 'SIGTERM to the only broker, 10 s down under load (writes answered 503 and retried by the clients), then started again',
      inject: async (env) => {
        await env.stopBroker();
        await sleep(10_000);
        await env.startBroker();
      },
    },
    {
      name: 'Redis FLUSHALL',
      how: 'FLUSHALL under load: every key of every service gone at once',
      inject: (env) => env.flushRedis(),
    },
    {
      name: 'Redis restart',
      how: 'SHUTDOWN NOSAVE (no persistence, as configured) and started again empty, under load',
      inject: (env) => env.restartRedis(),
    },
    {
      name: 'Postgres restart',
      how: 'pg_ctl stop -m immediate (a crash: recovery from the WAL) and start, under load',
      inject: (env) => env.restartPostgres(),
    },
    DUPLICATED_AND_REORDERED,
    {
      name: 'skewed clocks',
      how:
        'for 30 s under load, 3 of every 10 players’ devices and counter sources run with a wrong clock: 60 s behind, 45 s ahead, or never set (`at` an hour after 1970-01-01); ' +
        'a player whose clock changes ends its session and starts another; likes, views and increments carry the skewed `at` (one clock per source, so a fan’s own order holds). ' +
        'The clocks stay wrong through the check (viewers by receipt time, likes by event time as the services judge them) and are set right after it',
      inject: (_env, workload) => workload.skewClocks(30_000),
      after: async (_env, workload) => workload.setClocksRight(),
    },
    {
      name: 'late retries beyond the idempotency window',
      how:
        `one source makes a view and holds it back (seq 0), sends ${LATE_RETRY_WRITES} newer views of the run’s items (its window, the two newest blocks of 1,024 seqs, moves on and seq 0’s block is archived), ` +
        `then the held-back one, then POSTs ${LATE_RETRY_REPOSTS} of its accepted writes again (seq 0 and writes of the archived block among them): each counts exactly once, and none is set aside as late`,
      paused: true,
      inject: (_env, workload) => workload.injectLateRetries(),
    },
    {
      name: 'late-data burst',
      how:
        `${LATE_VIEWS} views with \`at\` 2 h old (late for the 1h ranking only: they count in every total, the all-time and the 24h ranking) and ${LATE_HEARTBEATS} heartbeats of sessions of their own with \`at\` 20 min old ` +
        '(late for the history minute, and beyond the presence tolerance: no one present); exactly these writes must be in the late topic (AFTER_GRACE, those windows, once each) and the services’ tally_late_records_total must grow by as many',
      paused: true,
      inject: (_env, workload) => workload.injectLateBurst(),
    },
    {
      name: 'full topic replay',
      how: 'every consuming service stopped, each consumer group moved back to the earliest offset of every topic it reads, all started again; nothing already set aside as late is set aside again (the restarted services’ tally_late_records_total stays 0)',
      paused: true,
      inject: async (env, workload) => {
        const detail = await replayEverything(env);
        expectLateMetrics(
          env,
          workload,
          'the replay sets aside nothing again: tally_late_records_total of the restarted services',
          'none',
        );
        return detail;
      },
    },
    {
      name: 'rebuild of every service',
      how:
        'every consuming service stopped, its state dropped (its Postgres schema, by the DB_SCHEMA of its configuration: the four regions’ and the merger’s too; Redis flushed) and its consumer groups deleted; ' +
        'all started again, each reads every topic from the beginning into empty state until lag 0; then every invariant, and the late writes set aside again, once each',
      paused: true,
      inject: async (env, workload) => {
        const rebuilt = await rebuildEverything(env, groupsByProduct(env.consumerGroups).get('viewers') ?? []);
        expectLateMetrics(
          env,
          workload,
          'the rebuild sets aside every late write again, once: tally_late_records_total of the rebuilt services',
          'all',
        );
        return rebuilt;
      },
    },
  ];
}

/**
 * After services restarted (their counters from 0): the next check compares their tally_late_records_total
 * with none of the workload's late writes (a replay into the state they had), or all of them (a rebuild).
 */
function expectLateMetrics(env: FaultEnvironment, workload: Workload, invariant: string, which: 'none' | 'all'): void {
  const internals = internalsOf(workload);
  const groups = groupsByProduct(env.consumerGroups);
  const expected = (product: Product) => (which === 'none' ? 0 : internals.late.count(product));
  internals.onceChecks.push(
    lateMetricsCheck(env.serviceUrls, (p) => groups.get(p) ?? [], invariant, new Map(), {
      viewers: expected('viewers'),
      counters: expected('counters'),
    }),
  );
}

async function replayEverything(env: FaultEnvironment & FaultControls): Promise<string> {
  const consumers = env.services.filter((s) => s.spec.consumerGroups.length > 0);
  await Promise.all(consumers.map((s) => s.stop('SIGTERM')));
  const admin = createKafka({
    brokers: env.brokers,
    clientId: 'tally-faults',
    logger: createLogger('faults', 'warn'),
  }).admin();
  await admin.connect();
  let records = 0;
  try {
    for (const group of consumers.flatMap((s) => s.spec.consumerGroups)) {
      const topics = (await admin.fetchOffsets({ groupId: group })).map((t) => t.topic);
      if (topics.length === 0) continue;
      const moves = await moveGroupBack(admin, group, topics, 'earliest');
      records += moves.reduce((sum, m) => sum + m.records, 0);
    }
  } finally {
    await admin.disconnect();
  }
  for (const service of consumers) await service.start();
  return `${records} records to read again`;
}
