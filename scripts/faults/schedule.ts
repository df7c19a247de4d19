/**
 * The faults of a run, in order. Each is injected while the load runs; the runner then lets the load go on for
 * a moment (recovery under load), pauses it and checks every invariant.
 */
import { createKafka } from '@tally/streaming';
import { moveGroupBack } from '@tally/stack';
import { createLogger } from '@tally/observability';
import type { FaultControls, FaultEnvironment } from './environment.js';
import type { Workload } from './workload.js';

export interface Fault {
  name: string;
  /** What a reader of the report needs to know about how it was done. */
  how: string;
  /** Injects the fault and brings the broken part back; returns a detail for the report, if any. */
  inject(env: FaultEnvironment & FaultControls, workload: Workload): Promise<string | void>;
  /** Faults that need the load paused while they run (the workload's own redeliveries, the replay). */
  paused?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
    { name: 'Redis FLUSHALL', how: 'FLUSHALL under load: every key of every service gone at once', inject: (env) => env.flushRedis() },
    { name: 'Redis restart', how: 'SHUTDOWN NOSAVE (no persistence, as configured) and started again empty, under load', inject: (env) => env.restartRedis() },
    { name: 'Postgres restart', how: 'pg_ctl stop -m immediate (a crash: recovery from the WAL) and start, under load', inject: (env) => env.restartPostgres() },
    {
      name: 'duplicated and reordered deliveries',
      how: 'accepted events POSTed again with their (source, seq) in shuffled order, and records of every input topic produced again in reverse order',
      paused: true,
      inject: async (_env, workload) => {
        const { duplicated, reordered } = await workload.injectDuplicatesAndReordered();
        return `${duplicated} duplicated, ${reordered} reordered`;
      },
    },
    {
      name: 'full topic replay',
      how: 'every consuming service stopped, each consumer group moved back to the earliest offset of every topic it reads, all started again',
      paused: true,
      inject: replayEverything,
    },
  ];
}

async function replayEverything(env: FaultEnvironment & FaultControls): Promise<string> {
  const consumers = env.services.filter((s) => s.spec.consumerGroups.length > 0);
  await Promise.all(consumers.map((s) => s.stop('SIGTERM')));
  const admin = createKafka({ brokers: env.brokers, clientId: 'tally-faults', logger: createLogger('faults', 'warn') }).admin();
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
