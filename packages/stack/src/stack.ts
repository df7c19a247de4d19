import { Kafka, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import pg from 'pg';
import { platformConfig } from '@tally/config';
import {
  brokerProcess,
  brokerSettings,
  describeCluster,
  ensureBrokerJars,
  startBroker,
  stopBroker,
} from './kafka-broker.js';
import { runningPid } from './processes.js';
import {
  ensureRegistryJar,
  pingRegistry,
  registryProcess,
  registrySettings,
  registryUrl,
  startRegistry,
  stopRegistry,
} from './schema-registry.js';
import { registerSchemas } from './schemas.js';
import { applyTopics, declaredTopics, type ApplyTopicsOptions, type TopicChange } from './topics.js';

export type Log = (line: string) => void;

export interface ComponentStatus {
  name: string;
  up: boolean;
  detail: string;
}

/** Where clients find the stack; the same variables services read, defaulted to the local stack. */
export function stackEndpoints() {
  const broker = brokerSettings();
  const registry = registrySettings();
  const platform = platformConfig({
    ...process.env,
    KAFKA_BROKERS: `127.0.0.1:${broker.port}`,
    SCHEMA_REGISTRY_URL: registryUrl(registry),
  });
  return {
    broker,
    registry,
    brokers: platform.KAFKA_BROKERS,
    registryUrl: platform.SCHEMA_REGISTRY_URL,
    redisUrl: platform.REDIS_URL,
    databaseUrl: platform.DATABASE_URL,
  };
}

/**
 * Starts what is not running (Kafka, the registry), checks what the machine provides (Redis, Postgres), and
 * applies topics and schemas. Running it twice is harmless: running parts are left alone. A keyed topic is grown
 * only with `allowRepartition`; otherwise it comes back as a 'refused' change, and the rest is still applied.
 */
export async function stackUp(log: Log, options: ApplyTopicsOptions = {}): Promise<TopicChange[]> {
  const endpoints = stackEndpoints();
  await Promise.all([checkRedis(endpoints.redisUrl), checkPostgres(endpoints.databaseUrl)]).catch((error: unknown) => {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)} (Redis and Postgres are expected at REDIS_URL and DATABASE_URL)`,
    );
  });
  log(`redis      ${endpoints.redisUrl}: up`);
  log(`postgres   ${redact(endpoints.databaseUrl)}: up`);
  let started = Date.now();
  const kafka = await startBroker(endpoints.broker, log);
  log(`kafka      127.0.0.1:${endpoints.broker.port}: ${kafka} (${elapsed(started)})`);
  started = Date.now();
  const registry = await startRegistry(endpoints.registry, log);
  log(`registry   ${endpoints.registryUrl}: ${registry} (${elapsed(started)})`);

  const topics = declaredTopics();
  const admin = new Kafka({ brokers: endpoints.brokers, clientId: 'tally-stack', logLevel: logLevel.ERROR }).admin();
  await admin.connect();
  let changes: TopicChange[];
  try {
    changes = await applyTopics(admin, topics, '', options);
  } finally {
    await admin.disconnect();
  }
  for (const change of changes)
    log(`topic      ${change.topic}: ${change.action}${change.detail ? ` (${change.detail})` : ''}`);
  for (const r of await registerSchemas(endpoints.registryUrl, topics))
    log(`schema     ${r.subject}: ${r.schema} id ${r.id}`);
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
      return `127.0.0.1:${endpoints.broker.port}, ${cluster.brokers} broker(s), pid ${runningPid(brokerProcess()) ?? 'not ours'}`;
    }),
    probe('schema-registry', async () => {
      await pingRegistry(endpoints.registry);
      return `${endpoints.registryUrl}, pid ${runningPid(registryProcess()) ?? 'not ours'}`;
    }),
    probe('redis', async () => {
      await checkRedis(endpoints.redisUrl);
      return endpoints.redisUrl;
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

/** Stops what the stack started (registry, then Kafka); Redis and Postgres belong to the machine and stay. */
export async function stackDown(log: Log): Promise<void> {
  log(`registry   ${await stopRegistry()}`);
  log(`kafka      ${await stopBroker()}`);
  const left = [registryProcess(), brokerProcess()].filter((p) => runningPid(p) !== undefined);
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
