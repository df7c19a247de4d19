/**
 * The fault run's own Tally: a Kafka broker and schema registry (the local stack's code, in a separate folder
 * and on other ports), a Redis and a Postgres of its own, and all ten service processes. Everything the run
 * breaks belongs to it, so it can crash a broker or a database without disturbing the machine's stack, and
 * it starts from nothing each time. The faults are methods here; what to break when is the runner's business.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, stackDown, stackUp, startBroker, stopBroker, brokerSettings, declaredTopics } from '@tally/stack';
import { suiteCredentials, type SuiteCredentials } from './abuse/credentials.js';
import { startPrivatePostgres } from './environment/postgres.js';
import { startPrivateRedis } from './environment/redis.js';
import { ServiceProcess, serviceSpecs } from './environment/services.js';

export interface FaultEnvironment {
  gatewayUrl: string;
  /** The run's full key (credentials.keys.full): every scope, write, admin and read. */
  apiKey: string;
  /** Every key the gateway is configured with, its TICKET_KEY and the admitter's signing key (see abuse/credentials.ts). */
  credentials: SuiteCredentials;
  brokers: string[];
  registryUrl: string;
  redisUrl: string;
  databaseUrl: string;
  /** Every service but the gateway → its base URL (/metrics, /readyz). */
  serviceUrls: Record<string, string>;
  /** Every consuming service → its consumer groups. */
  consumerGroups: Record<string, string[]>;
  /** The topics of the catalogue, as created on the run's broker. */
  topics: string[];
}

export interface FaultControls {
  services: ServiceProcess[];
  service(name: string): ServiceProcess;
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  flushRedis(): Promise<void>;
  restartRedis(): Promise<void>;
  restartPostgres(): Promise<void>;
  /**
   * A second gateway in front of the same services, with the same keys, and limits as tight as `limits` (the run's
   * own gateway has its rate limits out of the way of the load): what the abuse phase floods with connections,
   * slow clients, requests and console streams. Stopped by the caller, or by stop().
   */
  startExposedGateway(limits: ExposedGatewayLimits): Promise<{ url: string; stop(): Promise<void> }>;
  stop(): Promise<void>;
}

/** The limits of the exposed gateway (its CONNECTIONS_PER_ADDRESS, ADDRESS_RATE_LIMIT_PER_SECOND, ...). */
export interface ExposedGatewayLimits {
  connectionsPerAddress: number;
  addressRatePerSecond: number;
  keyRatePerSecond: number;
  consoleStreamsPerKey: number;
}

/** Ports: Kafka base+9092/+9093, registry base+8081, Redis base+6379, Postgres base+5432, services base+8080... */
const BASE = 20_000;
export const faultStackDir = join(repoRoot, '.stack', 'faults');

export async function startFaultEnvironment(log: (line: string) => void): Promise<FaultEnvironment & FaultControls> {
  // the stack code reads its folder and ports from these, at each call
  Object.assign(process.env, {
    TALLY_STACK_DIR: faultStackDir,
    TALLY_KAFKA_PORT: String(BASE + 9092),
    TALLY_KAFKA_CONTROLLER_PORT: String(BASE + 9093),
    TALLY_REGISTRY_PORT: String(BASE + 8081),
  });
  await stackDown(() => undefined).catch(() => undefined); // a previous run's broker and registry, if left running
  rmSync(faultStackDir, { recursive: true, force: true });
  const logDir = join(faultStackDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const redis = await startPrivateRedis(faultStackDir, BASE + 6379);
  const postgres = await startPrivatePostgres(join(faultStackDir, 'postgres'), BASE + 5432);
  Object.assign(process.env, { REDIS_URL: redis.url, DATABASE_URL: postgres.url });
  log(`redis ${redis.url}, postgres ${postgres.url}`);
  await stackUp(() => undefined);
  const brokers = [`127.0.0.1:${BASE + 9092}`];
  const registryUrl = `http://127.0.0.1:${BASE + 8081}/apis/ccompat/v7`;
  log(`kafka ${brokers[0]}, registry ${registryUrl}`);

  const sharedEnv = {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    REDIS_URL: redis.url,
    DATABASE_URL: postgres.url,
    TALLY_ENV: 'development',
    LOG_LEVEL: 'warn',
    // one instance per service: after a SIGKILL its successor waits for the dead member's session to end
    KAFKA_SESSION_TIMEOUT_MS: '10000',
  };
  const credentials = suiteCredentials();
  const specs = serviceSpecs(BASE, credentials);
  const services = specs.map((spec) => new ServiceProcess(spec, sharedEnv, logDir));
  for (const service of services) {
    await service.start();
    log(`${service.spec.name} ${service.url}`);
  }
  const byName = new Map(services.map((s) => [s.spec.name, s]));
  const consumers = services.filter((s) => s.spec.consumerGroups.length > 0);
  const exposed: ServiceProcess[] = [];
  const startExposedGateway = async (limits: ExposedGatewayLimits) => {
    const gateway = specs.find((s) => s.name === 'ingest-gateway')!;
    const instance = new ServiceProcess(
      {
        ...gateway,
        name: 'ingest-gateway-exposed',
        port: BASE + 81,
        env: {
          ...gateway.env,
          CONNECTIONS_PER_ADDRESS: String(limits.connectionsPerAddress),
          ADDRESS_RATE_LIMIT_PER_SECOND: String(limits.addressRatePerSecond),
          RATE_LIMIT_PER_SECOND: String(limits.keyRatePerSecond),
          CONSOLE_STREAMS_PER_KEY: String(limits.consoleStreamsPerKey),
        },
      },
      sharedEnv,
      logDir,
    );
    exposed.push(instance);
    await instance.start();
    return { url: instance.url, stop: () => instance.stop('SIGTERM') };
  };
  return {
    gatewayUrl: byName.get('ingest-gateway')!.url,
    apiKey: credentials.keys.full,
    credentials,
    brokers,
    registryUrl,
    redisUrl: redis.url,
    databaseUrl: postgres.url,
    serviceUrls: Object.fromEntries(consumers.map((s) => [s.spec.name, s.url])),
    consumerGroups: Object.fromEntries(consumers.map((s) => [s.spec.name, s.spec.consumerGroups])),
    topics: declaredTopics().topics.map((t) => t.name),
    services,
    service: (name) => {
      const service = byName.get(name);
      if (!service)
        throw new Error(`no service ${name} in the fault environment (have ${[...byName.keys()].join(', ')})`);
      return service;
    },
    stopBroker: async () => void (await stopBroker()),
    startBroker: async () => void (await startBroker(brokerSettings(), () => undefined)),
    flushRedis: () => redis.flushAll(),
    restartRedis: () => redis.restart(),
    restartPostgres: () => postgres.restart(),
    startExposedGateway,
    stop: async () => {
      await Promise.all([...exposed, ...services].map((s) => s.stop('SIGTERM')));
      await stackDown(() => undefined);
      await redis.stop();
      await postgres.stop();
    },
  };
}
