/**
 * What a cluster fault run can break beyond the single-broker run: one of three brokers (the one leading the
 * most partitions of the busiest topics), one of three Redis primaries (its replica takes over), and service
 * instances (crashed, added and removed while the others run), and how long each member of a consumer group
 * stood still per rebalance (tally_consumer_rebalance_pause_seconds of every instance).
 */
import { TOPICS } from '@tally/contracts';
import {
  brokerAddress,
  brokerNodes,
  brokerProcess,
  brokerSettings,
  killProcess,
  redisClusterPorts,
  redisClusterPrimaries,
  redisClusterSettings,
  redisNodeProcess,
  startBroker,
  startRedisNode,
  stopBroker,
  waitForRedisCluster,
} from '@tally/stack';
import { createRedis, flushAll } from '@tally/storage';
import { withAdmin } from '../workload/settle.js';
import { instanceSpec, ServiceProcess } from './services.js';

/** The topics most of the load goes to: their partition leaders carry it. */
const BUSIEST_TOPICS = [TOPICS.viewerHeartbeats.name, TOPICS.itemEvents.name, TOPICS.walletCommands.name];

export interface RebalancePauses {
  /** Rebalances seen by members (one rebalance of a group of n members counts n). */
  count: number;
  sumSeconds: number;
  /** The upper bound of the histogram bucket the longest pause fell in (seconds). */
  maxAtMostSeconds: number;
}

export interface ClusterControls {
  /** SIGKILL of the broker leading the most partitions of the busiest topics; it stays down until startBroker. */
  killBusiestBroker(): Promise<{ node: number; led: number; of: number }>;
  startBroker(node: number): Promise<void>;
  /** SIGKILL of a Redis primary; resolves once its replica took over and the cluster is healthy again. */
  killRedisPrimary(): Promise<{ port: number; failoverMs: number }>;
  /** Starts a stopped Redis node again; it rejoins as a replica of the primary that replaced it. */
  startRedisNode(port: number): Promise<void>;
  flushRedis(): Promise<void>;
  /** Every node stopped (SIGTERM: the append-only files are kept) and started again. */
  restartRedis(): Promise<void>;
  /** Starts one more instance of `role` (scale out under load); stop it with `removeInstance`. */
  addInstance(role: string): Promise<ServiceProcess>;
  /** A graceful stop (scale in): the group rebalances its partitions to the others. */
  removeInstance(instance: ServiceProcess): Promise<void>;
  /** Rebalance pauses summed over the running consuming instances (since each started). */
  rebalancePauses(): Promise<RebalancePauses>;
  close(): Promise<void>;
}

export async function startClusterParts(parts: {
  services: ServiceProcess[];
  sharedEnv: Record<string, string>;
  logDir: string;
  log: (line: string) => void;
}): Promise<ClusterControls> {
  const brokers = brokerSettings();
  const redisCluster = redisClusterSettings();
  const redis = createRedis(`redis://127.0.0.1:${redisCluster.port}`, 'faults', { REDIS_CLUSTER: true });
  const addresses = brokerNodes(brokers).map((n) => brokerAddress(brokers, n));
  return {
    killBusiestBroker: async () => {
      const partitions = await withAdmin(addresses, async (admin) =>
        (await admin.fetchTopicMetadata({ topics: BUSIEST_TOPICS })).topics.flatMap((t) => t.partitions),
      );
      const led = new Map<number, number>();
      for (const p of partitions) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
      const [node, count] = [...led].sort((a, b) => b[1] - a[1])[0]!;
      await killProcess(brokerProcess(brokers, node));
      return { node, led: count, of: partitions.length };
    },
    startBroker: async (node) => void (await startBroker(brokers, () => undefined, node)),
    killRedisPrimary: async () => {
      const [port] = await redisClusterPrimaries(redisCluster);
      if (port === undefined) throw new Error('no Redis primary found');
      const begun = Date.now();
      await killProcess(redisNodeProcess(port));
      await waitForRedisCluster(redisCluster, 60_000);
      return { port, failoverMs: Date.now() - begun };
    },
    startRedisNode: async (port) => {
      startRedisNode(redisCluster, port);
      await waitForRedisCluster(redisCluster, 60_000);
    },
    flushRedis: () => flushAll(redis),
    restartRedis: async () => {
      const ports = redisClusterPorts(redisCluster);
      await Promise.all(ports.map((port) => killProcess(redisNodeProcess(port))));
      for (const port of ports) startRedisNode(redisCluster, port);
      await waitForRedisCluster(redisCluster, 90_000);
    },
    addInstance: async (role) => {
      const siblings = parts.services.filter((s) => s.spec.role === role);
      if (siblings.length === 0) throw new Error(`no service ${role} to add an instance of`);
      const next = Math.max(...siblings.map((s) => s.spec.instance)) + 1;
      const instance = new ServiceProcess(instanceSpec(siblings[0]!.spec, next), parts.sharedEnv, parts.logDir);
      parts.services.push(instance);
      await instance.start();
      return instance;
    },
    removeInstance: async (instance) => {
      await instance.stop('SIGTERM');
      parts.services.splice(parts.services.indexOf(instance), 1);
    },
    rebalancePauses: async () => {
      const consuming = parts.services.filter((s) => s.spec.consumerGroups.length > 0 && s.running);
      const read = await Promise.all(consuming.map((s) => pausesOf(s.url)));
      return read.reduce(
        (sum, r) => ({
          count: sum.count + r.count,
          sumSeconds: sum.sumSeconds + r.sumSeconds,
          maxAtMostSeconds: Math.max(sum.maxAtMostSeconds, r.maxAtMostSeconds),
        }),
        { count: 0, sumSeconds: 0, maxAtMostSeconds: 0 },
      );
    },
    close: async () => {
      redis.disconnect();
      await stopBroker(brokers).catch(() => undefined);
    },
  };
}

const METRIC = 'tally_consumer_rebalance_pause_seconds';

/** One instance's rebalance pauses from its /metrics (0 when it cannot be read: it is restarting). */
async function pausesOf(url: string): Promise<RebalancePauses> {
  const none = { count: 0, sumSeconds: 0, maxAtMostSeconds: 0 };
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
  if (!response?.ok) return none;
  const result = { ...none };
  const below = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const [name, value] = [line.slice(0, line.lastIndexOf(' ')), Number(line.slice(line.lastIndexOf(' ') + 1))];
    if (name.startsWith(`${METRIC}_count`)) result.count += value;
    else if (name.startsWith(`${METRIC}_sum`)) result.sumSeconds += value;
    else if (name.startsWith(`${METRIC}_bucket`)) {
      // cumulative buckets: the longest pause is in the first bucket whose count reaches the total
      const le = /le="([^"]+)"/.exec(name)?.[1];
      const series = name.replace(/,?le="[^"]+"/, '');
      if (le && le !== '+Inf' && value > (below.get(series) ?? 0)) {
        result.maxAtMostSeconds = Math.max(result.maxAtMostSeconds, Number(le));
        below.set(series, value);
      }
    }
  }
  return result;
}
