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
import { startBalancer, type Balancer } from './environment/balancer.js';
import { startClusterParts, type ClusterControls } from './environment/cluster.js';
import { startPrivatePostgres } from './environment/postgres.js';
import { startPrivateRedis } from './environment/redis.js';
import { ServiceProcess, instanceSpec, serviceSpecs, type ServiceSpec } from './environment/services.js';

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
  /** Every running service process: with instances > 1, `<name>.<n>` beside each first instance `<name>`. */
  services: ServiceProcess[];
  service(name: string): ServiceProcess;
  /** The cluster run's controls (brokers, Redis primaries, instances); undefined on the single-broker run. */
  cluster?: ClusterControls;
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

/**
 * Ports: Kafka base+9092/+9093, registry base+8081, Redis base+6379, Postgres base+5432, services base+8080...;
 * the cluster run: Kafka base+9092..9094 (controllers base+9192...), Redis Cluster base+3001..3006 (and its
 * cluster bus, 10000 above: clear of the cluster profile's 17001..17006 and 27001..27006), a service's
 * n-th instance 100 (n - 1) above its first, and balancers base+8380...
 */
const BASE = 20_000;
export const faultStackDir = join(repoRoot, '.stack', 'faults');

export interface FaultEnvironmentOptions {
  /** Three brokers (replication 3, min.insync.replicas 2), a six-node Redis Cluster, and `instances` of each service. */
  cluster?: boolean;
  /** Instances of every service, the gateway included, behind a round-robin balancer each (cluster runs: 2). */
  instances?: number;
}

export async function startFaultEnvironment(
  log: (line: string) => void,
  options: FaultEnvironmentOptions = {},
): Promise<FaultEnvironment & FaultControls> {
  const cluster = options.cluster ?? false;
  const instances = options.instances ?? (cluster ? 2 : 1);
  // the stack code reads its folder and ports from these, at each call
  Object.assign(process.env, {
    TALLY_STACK_DIR: faultStackDir,
    TALLY_STACK_PROFILE: cluster ? 'cluster' : 'single',
    TALLY_KAFKA_PORT: String(BASE + 9092),
    TALLY_KAFKA_CONTROLLER_PORT: String(BASE + (cluster ? 9192 : 9093)),
    TALLY_REGISTRY_PORT: String(BASE + 8081),
    TALLY_REDIS_CLUSTER_PORT: String(BASE + 3001),
  });
  await stackDown(() => undefined).catch(() => undefined); // a previous run's broker and registry, if left running
  rmSync(faultStackDir, { recursive: true, force: true });
  const logDir = join(faultStackDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const postgres = await startPrivatePostgres(join(faultStackDir, 'postgres'), BASE + 5432);
  const redis = cluster ? undefined : await startPrivateRedis(faultStackDir, BASE + 6379);
  const redisUrl = redis?.url ?? `redis://127.0.0.1:${BASE + 3001}`;
  Object.assign(process.env, { REDIS_URL: redisUrl, REDIS_CLUSTER: String(cluster), DATABASE_URL: postgres.url });
  // with the cluster profile, the Redis Cluster too; a stack that fails to start leaves nothing running
  await stackUp(() => undefined).catch(async (error: unknown) => {
    await stackDown(() => undefined).catch(() => undefined);
    await redis?.stop();
    await postgres.stop();
    throw error;
  });
  log(`redis ${cluster ? 'cluster ' : ''}${redisUrl}, postgres ${postgres.url}`);
  const brokers = Array.from({ length: brokerSettings().nodes }, (_, i) => `127.0.0.1:${BASE + 9092 + i}`);
  const registryUrl = `http://127.0.0.1:${BASE + 8081}/apis/ccompat/v7`;
  log(`kafka ${brokers.join(',')}, registry ${registryUrl}`);

  const sharedEnv = {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    REDIS_URL: redisUrl,
    REDIS_CLUSTER: String(cluster),
    DATABASE_URL: postgres.url,
    TALLY_ENV: 'development',
    LOG_LEVEL: 'warn',
    // after a SIGKILL the group waits for the dead member's session to end before its partitions move
    KAFKA_SESSION_TIMEOUT_MS: '10000',
  };
  const credentials = suiteCredentials();
  const balancerPort = (spec: Pick<ServiceSpec, 'port'>) => spec.port + 300;
  const firsts = serviceSpecs(BASE, credentials, instances > 1 ? balancerPort : undefined);
  const specs = firsts.flatMap((spec) => Array.from({ length: instances }, (_, i) => instanceSpec(spec, i + 1)));
  const services = specs.map((spec) => new ServiceProcess(spec, sharedEnv, logDir));
  const balancers: Balancer[] = [];
  if (instances > 1) {
    // each service's instances behind one address, as a Kubernetes Service: those running at each connection
    for (const first of firsts) {
      const ports = () => services.filter((s) => s.spec.role === first.role && s.running).map((s) => s.spec.port);
      balancers.push(await startBalancer(balancerPort(first), ports));
    }
  }
  for (const service of services) {
    await service.start();
    log(`${service.spec.name} ${service.url}`);
  }
  const byName = new Map(services.map((s) => [s.spec.name, s]));
  const consumers = services.filter((s) => s.spec.consumerGroups.length > 0 && s.spec.instance === 1);
  const gatewayFirst = byName.get('ingest-gateway')!;
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
  const clusterControls = cluster ? await startClusterParts({ services, sharedEnv, logDir, log }) : undefined;
  return {
    gatewayUrl: instances > 1 ? `http://127.0.0.1:${balancerPort(gatewayFirst.spec)}` : gatewayFirst.url,
    apiKey: credentials.keys.full,
    credentials,
    brokers,
    registryUrl,
    redisUrl,
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
    ...(clusterControls ? { cluster: clusterControls } : {}),
    stopBroker: async () => void (await stopBroker()),
    startBroker: async () => void (await startBroker(brokerSettings(), () => undefined)),
    flushRedis: () => (redis ? redis.flushAll() : clusterControls!.flushRedis()),
    restartRedis: () => (redis ? redis.restart() : clusterControls!.restartRedis()),
    restartPostgres: () => postgres.restart(),
    startExposedGateway,
    stop: async () => {
      await Promise.all([...exposed, ...services].map((s) => s.stop('SIGTERM')));
      await Promise.all(balancers.map((b) => b.stop()));
      await clusterControls?.close();
      await stackDown(() => undefined); // the cluster profile's Redis Cluster too
      await redis?.stop();
      await postgres.stop();
    },
  };
}
