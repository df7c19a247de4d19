import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { platformConfig } from '@tally/config';
import {
  brokerAddresses,
  brokerNodes,
  brokerProcess,
  brokerSettings,
  describeCluster,
  ensureBrokerJars,
  startBroker,
  stopBroker,
} from './kafka-broker.js';
import { runningPid } from './processes.js';
import { stackProfile } from './profile.js';
import {
  describeRedisCluster,
  redisClusterPorts,
  redisClusterSettings,
  redisClusterUrl,
  redisNodeProcess,
  startRedisCluster,
  stopRedisCluster,
} from './redis-cluster.js';
import {
  ensureRegistryJar,
  pingRegistry,
  registryProcess,
  registrySettings,
  registryUrl,
  startRegistry,
  stopRegistry,
} from './schema-registry.js';
import { setupCluster } from './setup.js';
import type { ApplyTopicsOptions, TopicChange } from './topics.js';

export type Log = (line: string) => void;

export interface ComponentStatus {
  name: string;
  up: boolean;
  detail: string;
}

/**
 * Where clients find the stack; the same variables services read, defaulted to the local stack. The cluster
 * profile's Redis is its own Redis Cluster (redisCluster: services need REDIS_CLUSTER=true to use it).
 */
export function stackEndpoints() {
  const profile = stackProfile();
  const broker = brokerSettings();
  const registry = registrySettings();
  const redisCluster = profile === 'cluster' ? redisClusterSettings() : undefined;
  const platform = platformConfig({
    ...process.env,
    KAFKA_BROKERS: brokerAddresses(broker).join(','),
    SCHEMA_REGISTRY_URL: registryUrl(registry),
    ...(redisCluster ? { REDIS_URL: redisClusterUrl(redisCluster), REDIS_CLUSTER: 'true' } : {}),
  });
  return {
    profile,
    broker,
    registry,
    redisClusterSettings: redisCluster,
    brokers: platform.KAFKA_BROKERS,
    registryUrl: platform.SCHEMA_REGISTRY_URL,
    redisUrl: platform.REDIS_URL,
    redisCluster: platform.REDIS_CLUSTER,
    databaseUrl: platform.DATABASE_URL,
  };
}

/** The environment a process needs to use this stack as services do (`tally stack env`). */
export function stackEnvironment(): Record<string, string> {
  const e = stackEndpoints();
  return {
    TALLY_STACK_PROFILE: e.profile,
    KAFKA_BROKERS: e.brokers.join(','),
    SCHEMA_REGISTRY_URL: e.registryUrl,
    REDIS_URL: e.redisUrl,
    REDIS_CLUSTER: String(e.redisCluster),
    DATABASE_URL: e.databaseUrl,
  };
}

/**
 * Starts what is not running (Kafka, the registry), checks what the machine provides (Redis, Postgres), and
 * applies topics and schemas. Running it twice is harmless: running parts are left alone. A keyed topic is grown
 * only with `allowRepartition`; otherwise it comes back as a 'refused' change, and the rest is still applied.
 */
export async function stackUp(log: Log, options: ApplyTopicsOptions = {}): Promise<TopicChange[]> {
  const endpoints = stackEndpoints();
  let started = Date.now();
  if (endpoints.redisClusterSettings) {
    const redis = await startRedisCluster(endpoints.redisClusterSettings, log);
    log(
      `redis      cluster ${redisClusterPorts(endpoints.redisClusterSettings).join(',')}: ${redis} (${elapsed(started)})`,
    );
  }
  await Promise.all([
    endpoints.redisClusterSettings ? Promise.resolve() : checkRedis(endpoints.redisUrl),
    checkPostgres(endpoints.databaseUrl),
  ]).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)} (Redis and Postgres are expected at REDIS_URL and DATABASE_URL)`,
    );
  });
  if (!endpoints.redisClusterSettings) log(`redis      ${endpoints.redisUrl}: up`);
  log(`postgres   ${redact(endpoints.databaseUrl)}: up`);
  started = Date.now();
  const kafka = await startBroker(endpoints.broker, log);
  log(`kafka      ${endpoints.brokers.join(',')}: ${kafka} (${elapsed(started)})`);
  started = Date.now();
  const registry = await startRegistry(endpoints.registry, log);
  log(`registry   ${endpoints.registryUrl}: ${registry} (${elapsed(started)})`);

  const kafkaClient = new Kafka({ brokers: endpoints.brokers, clientId: 'tally-stack', logLevel: logLevel.ERROR });
  const { changes, schemas } = await setupCluster(kafkaClient, endpoints.registryUrl, options);
  for (const change of changes)
    log(`topic      ${change.topic}: ${change.action}${change.detail ? ` (${change.detail})` : ''}`);
  for (const r of schemas) log(`schema     ${r.subject}: ${r.schema} id ${r.id}`);
  return changes;
}

export async function stackStatus(): Promise<ComponentStatus[]> {
  const endpoints = stackEndpoints();
  const probe = async (name: string, check: () => Promise<string>): Promise<ComponentStatus> => {
    try {
      return { name, up: true, detail: await check() };
    } catch (error) {
      return { name, up: false, detail: error instanceof Error ? error.message : String(error) };
    }
  };
  return Promise.all([
    probe('kafka', async () => {
      const cluster = await describeCluster(endpoints.broker);
      if (cluster.brokers < endpoints.broker.nodes)
        throw new Error(`${cluster.brokers} of ${endpoints.broker.nodes} brokers registered`);
      const pids = brokerNodes(endpoints.broker).map(
        (n) => runningPid(brokerProcess(endpoints.broker, n)) ?? 'not ours',
      );
      return `${endpoints.brokers.join(',')}, ${cluster.brokers} broker(s), pid ${pids.join(',')}`;
    }),
    probe('schema-registry', async () => {
      await pingRegistry(endpoints.registry);
      return `${endpoints.registryUrl}, pid ${runningPid(registryProcess()) ?? 'not ours'}`;
    }),
    probe('redis', async () => {
      const cluster = endpoints.redisClusterSettings;
      if (!cluster) {
        await checkRedis(endpoints.redisUrl);
        return endpoints.redisUrl;
      }
      const pids = redisClusterPorts(cluster).map((p) => runningPid(redisNodeProcess(p)) ?? 'not ours');
      return `cluster ${endpoints.redisUrl}, ${await describeRedisCluster(cluster)}, pid ${pids.join(',')}`;
    }),
    probe('postgres', async () => {
      await checkPostgres(endpoints.databaseUrl);
      return redact(endpoints.databaseUrl);
    }),
  ]);
}

/** Resolves the broker's and the registry's jars from Maven Central, once. */
export function prepareStack(log: Log): void {
  ensureBrokerJars(log);
  ensureRegistryJar(log);
}

/**
 * Stops what the stack started (registry, then Kafka, and the cluster profile's Redis Cluster); the machine's
 * Redis and Postgres stay.
 */
export async function stackDown(log: Log): Promise<void> {
  const { broker, redisClusterSettings: redisCluster } = stackEndpoints();
  log(`registry   ${await stopRegistry()}`);
  log(`kafka      ${await stopBroker(broker)}`);
  if (redisCluster) log(`redis      ${await stopRedisCluster(redisCluster)}`);
  const left = [
    registryProcess(),
    ...brokerNodes(broker).map((n) => brokerProcess(broker, n)),
    ...(redisCluster ? redisClusterPorts(redisCluster).map(redisNodeProcess) : []),
  ].filter((p) => runningPid(p) !== undefined);
  if (left.length) throw new Error(`still running after down: ${left.map((p) => p.name).join(', ')}`);
}

async function checkRedis(url: string): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis at ${url} does not answer: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    redis.disconnect();
  }
}

async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw new Error(
      `Postgres at ${redact(url)} does not answer: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
