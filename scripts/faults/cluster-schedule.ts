/**
 * The faults of a cluster run (`pnpm faults --cluster`): three brokers, a Redis Cluster of three primaries and
 * three replicas, and two instances of every service behind a balancer each. What only a cluster can survive:
 * a broker leading the busiest partitions crashing under load, a Redis primary crashing (its replica takes over),
 * instances crashing, added and removed while the others run, and everything restarted at once. The
 * single-broker run (schedule.ts) covers the rest (late data, skewed clocks, replays, rebuilds, fuzzing, abuse).
 */
import type { FaultControls, FaultEnvironment } from './environment.js';
import type { ClusterControls, RebalancePauses } from './environment/cluster.js';
import { DUPLICATED_AND_REORDERED, type Fault } from './schedule.js';
import type { Injected } from './workload/stats.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Env = FaultEnvironment & FaultControls;

const clusterOf = (env: Env): ClusterControls => {
  if (!env.cluster) throw new Error('a cluster fault needs the cluster environment (pnpm faults --cluster)');
  return env.cluster;
};

/** The roles with consumer groups: what scaling out and in rebalances. */
const consumingRoles = (env: Env) => [
  ...new Set(env.services.filter((s) => s.spec.consumerGroups.length > 0).map((s) => s.spec.role)),
];

/** The rebalance pauses of the members while `work` ran (every consuming instance's histogram, before and after). */
async function pausesDuring(env: Env, work: () => Promise<void>): Promise<RebalancePauses> {
  const before = await clusterOf(env).rebalancePauses();
  await work();
  await sleep(5000); // the last rebalance's members rejoin
  const after = await clusterOf(env).rebalancePauses();
  return {
    count: Math.max(0, after.count - before.count),
    sumSeconds: Math.max(0, after.sumSeconds - before.sumSeconds),
    maxAtMostSeconds: after.maxAtMostSeconds,
  };
}

function pauseNumbers(label: string, p: RebalancePauses): Injected {
  const mean = p.count > 0 ? p.sumSeconds / p.count : 0;
  return {
    detail: `${label}; ${p.count} member rebalances, pause ${mean.toFixed(2)} s on average (eager protocol: every partition of every member revoked, then reassigned), longest ≤ ${p.maxAtMostSeconds} s`,
    numbers: {
      memberRebalances: p.count,
      meanPauseMs: Math.round(mean * 1000),
      longestPauseAtMostMs: Math.round(p.maxAtMostSeconds * 1000),
    },
  };
}

export function clusterFaultSchedule(): Fault[] {
  return [
    {
      name: 'SIGKILL one instance of every service, the other running',
      how: 'kill -9 of the first instance of each of the ten services in turn under load, the second serving on (the balancer skips the dead one); each started again at once and rejoins its group',
      inject: async (env) => {
        const firsts = env.services.filter((s) => s.spec.instance === 1);
        const pauses = await pausesDuring(env, async () => {
          for (const service of firsts) {
            await service.stop('SIGKILL');
            await service.start();
          }
        });
        return pauseNumbers(`${firsts.length} instances killed and restarted`, pauses);
      },
    },
    {
      name: 'scale out and in under load',
      how: 'a third instance of every consuming service started under load (each group rebalances to three members), then stopped gracefully after 20 s (back to two)',
      inject: async (env) => {
        const cluster = clusterOf(env);
        const added = await pausesDuring(env, async () => {
          const started = [];
          for (const role of consumingRoles(env)) started.push(await cluster.addInstance(role));
          await sleep(20_000);
          for (const instance of started) await cluster.removeInstance(instance);
        });
        return pauseNumbers(`${consumingRoles(env).length} instances added, then removed`, added);
      },
    },
    {
      name: 'the broker leading the busiest partitions crashes',
      how: 'kill -9 of the broker that leads the most partitions of the heartbeat, item-event and wallet-command topics, under load; 20 s down (the other two lead, min.insync.replicas 2 still met), then started again',
      inject: async (env) => {
        const cluster = clusterOf(env);
        const begun = Date.now();
        const { node, led, of } = await cluster.killBusiestBroker();
        await sleep(20_000);
        await cluster.startBroker(node);
        return {
          detail: `broker ${node} led ${led} of the ${of} busiest partitions; back after ${((Date.now() - begun) / 1000).toFixed(1)} s`,
          numbers: { brokerNode: node, partitionsLed: led },
        };
      },
    },
    {
      name: 'a Redis primary crashes',
      how: 'kill -9 of a Redis Cluster primary under load; its replica is promoted after cluster-node-timeout (3 s); writes of the last moments before the crash may be lost by Redis’s asynchronous replication, and the services’ state must be exact anyway (rebuilt from Postgres, or renewed by the next heartbeats); then the old primary is started again and rejoins as a replica',
      inject: async (env) => {
        const cluster = clusterOf(env);
        const { port, failoverMs } = await cluster.killRedisPrimary();
        await sleep(5000);
        await cluster.startRedisNode(port);
        return {
          detail: `primary on port ${port}; cluster healthy again ${failoverMs} ms after the crash`,
          numbers: { failoverMs },
        };
      },
    },
    {
      name: 'Redis FLUSHALL on every primary',
      how: 'FLUSHALL on each of the three primaries under load: every key of every service gone at once',
      inject: (env) => env.flushRedis(),
    },
    DUPLICATED_AND_REORDERED,
    {
      name: 'everything restarted',
      how: 'under load: every service instance stopped (SIGTERM), the three brokers and six Redis nodes stopped (Redis keeps its append-only files), Postgres crashed (immediate stop); all started again, brokers and Redis first',
      inject: async (env) => {
        const cluster = clusterOf(env);
        const begun = Date.now();
        await Promise.all(env.services.map((s) => s.stop('SIGTERM')));
        await env.stopBroker();
        await Promise.all([env.restartPostgres(), cluster.restartRedis()]);
        await env.startBroker();
        for (const service of env.services) await service.start();
        return {
          detail: `back in ${((Date.now() - begun) / 1000).toFixed(1)} s`,
          numbers: { secondsToBack: Math.round((Date.now() - begun) / 1000) },
        };
      },
    },
  ];
}
