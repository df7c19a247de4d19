import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureMavenBuild } from './maven.js';
import { deployDir, stackDir } from './paths.js';
import { CLUSTER_PORTS, stackProfile } from './profile.js';
import { runningPid, stackProcess, startDetached, stopProcess, waitUntil, type ManagedProcess } from './processes.js';

export interface BrokerSettings {
  /** KRaft nodes, each broker and controller: 1, or 3 for the cluster profile (a quorum that survives one loss). */
  nodes: number;
  /** The first node's client port; node n (1-based) listens on port + n - 1. */
  port: number;
  /** The first node's controller port; node n's is controllerPort + n - 1. */
  controllerPort: number;
  heapMb: number;
}

export function brokerSettings(env: NodeJS.ProcessEnv = process.env): BrokerSettings {
  const cluster = stackProfile(env) === 'cluster';
  return {
    nodes: Number(env.TALLY_KAFKA_NODES ?? (cluster ? 3 : 1)),
    port: Number(env.TALLY_KAFKA_PORT ?? (cluster ? CLUSTER_PORTS.kafka : 9092)),
    controllerPort: Number(env.TALLY_KAFKA_CONTROLLER_PORT ?? (cluster ? CLUSTER_PORTS.kafkaController : 9093)),
    heapMb: Number(env.TALLY_KAFKA_HEAP_MB ?? (cluster ? 768 : 1024)),
  };
}

/** The node ids, 1 to nodes. */
export const brokerNodes = (settings: BrokerSettings) => Array.from({ length: settings.nodes }, (_, i) => i + 1);

/** The client address of node `node`. */
export const brokerAddress = (settings: BrokerSettings, node: number) => `127.0.0.1:${settings.port + node - 1}`;

export const brokerAddresses = (settings: BrokerSettings) =>
  brokerNodes(settings).map((n) => brokerAddress(settings, n));

const kafkaProject = join(deployDir, 'kafka');
/** The broker's jars from Maven Central, which the local stack runs and the Kafka image copies. */
export const kafkaLibsDir = join(kafkaProject, 'target', 'libs');

/** The broker's jars, for Kafka's own tools (kafka-consumer-groups and friends) run with the machine's Java. */
export const kafkaClasspath = () => `${kafkaLibsDir}/*`;

/** Node 1 of a single-node stack keeps the names it always had (kafka.pid, kafka/); the cluster's are kafka-<n>. */
const nodeName = (settings: BrokerSettings, node: number) => (settings.nodes === 1 ? 'kafka' : `kafka-${node}`);

export function brokerProcess(settings: BrokerSettings = brokerSettings(), node = 1): ManagedProcess {
  return stackProcess(nodeName(settings, node));
}

/**
 * A KRaft node acting as broker and controller, as in Kafka's quickstart; with three nodes, a static quorum of
 * the three controllers, and internal topics replicated three times with two in sync, like Tally's own topics.
 */
function serverProperties(settings: BrokerSettings, node: number, dataDir: string): string {
  const replicas = Math.min(settings.nodes, 3);
  const inSync = Math.min(replicas, 2);
  const voters = brokerNodes(settings)
    .map((n) => `${n}@127.0.0.1:${settings.controllerPort + n - 1}`)
    .join(',');
  const port = settings.port + node - 1;
  return [
    'process.roles=broker,controller',
    `node.id=${node}`,
    `controller.quorum.voters=${voters}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${settings.controllerPort + node - 1}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    // internal topics cannot have more replicas than brokers
    `offsets.topic.replication.factor=${replicas}`,
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${inSync}`,
    `share.coordinator.state.topic.replication.factor=${replicas}`,
    `share.coordinator.state.topic.min.isr=${inSync}`,
    `default.replication.factor=${replicas}`,
    `min.insync.replicas=${inSync}`,
    // tests start consumers often; do not make each one wait 3 s for a rebalance that will not come
    'group.initial.rebalance.delay.ms=0',
    // topics come only from the catalogue (`tally topics apply`), never from a client's first write
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    'log.segment.bytes=67108864',
    '',
  ].join('\n');
}

const log4j = [
  'status = warn',
  'appender.out.type = Console',
  'appender.out.name = STDOUT',
  'appender.out.layout.type = PatternLayout',
  'appender.out.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = info',
  'rootLogger.appenderRefs = out',
  'rootLogger.appenderRef.out.ref = STDOUT',
  'logger.kafka.name = kafka',
  'logger.kafka.level = warn',
  'logger.org.name = org.apache.kafka',
  'logger.org.level = warn',
  '',
].join('\n');

function java(args: string[]): string {
  return execFileSync('java', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function ensureBrokerJars(log: (line: string) => void): void {
  ensureMavenBuild(kafkaProject, 'target/libs/kafka-tools-4.3.1.jar', log);
}

/**
 * Builds the jars if needed, formats each node's storage once (one cluster id for all), starts the nodes that
 * are not running (all at once: a KRaft quorum needs a majority before any node answers) and waits until the
 * cluster reports every broker. `only` starts that one node (a fault run bringing a stopped broker back).
 */
export async function startBroker(
  settings: BrokerSettings,
  log: (line: string) => void,
  only?: number,
): Promise<'started' | 'already running'> {
  ensureBrokerJars(log);
  const nodes = only === undefined ? brokerNodes(settings) : [only];
  const stopped = nodes.filter((n) => runningPid(brokerProcess(settings, n)) === undefined);
  if (stopped.length > 0) {
    const clusterId =
      existingClusterId(settings) ?? java(['-cp', kafkaClasspath(), 'kafka.tools.StorageTool', 'random-uuid']).trim();
    for (const node of stopped) startNode(settings, node, clusterId, log);
  }
  await waitForBroker(settings, 90_000, brokerProcess(settings, nodes[0]));
  return stopped.length > 0 ? 'started' : 'already running';
}

const nodeHome = (settings: BrokerSettings, node: number) => join(stackDir(), nodeName(settings, node));

/** The cluster id a formatted node already carries, so that nodes formatted later join the same cluster. */
function existingClusterId(settings: BrokerSettings): string | undefined {
  for (const node of brokerNodes(settings)) {
    const meta = join(nodeHome(settings, node), 'data', 'meta.properties');
    if (!existsSync(meta)) continue;
    const id = /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'))?.[1];
    if (id) return id.trim();
  }
  return undefined;
}

function startNode(settings: BrokerSettings, node: number, clusterId: string, log: (line: string) => void): void {
  const home = nodeHome(settings, node);
  const dataDir = join(home, 'data');
  mkdirSync(dataDir, { recursive: true });
  const config = join(home, 'server.properties');
  writeFileSync(config, serverProperties(settings, node, dataDir));
  writeFileSync(join(home, 'log4j2.properties'), log4j);
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    java(['-cp', kafkaClasspath(), 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config]);
    log(`formatted KRaft storage of node ${node} (cluster ${clusterId})`);
  }
  startDetached(
    brokerProcess(settings, node),
    'java',
    [
      `-Xms256m`,
      `-Xmx${settings.heapMb}m`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`,
      '-cp',
      kafkaClasspath(),
      'kafka.Kafka',
      config,
    ],
    { cwd: home },
  );
}

/** Until the cluster answers metadata with all its brokers registered. */
export async function waitForBroker(settings: BrokerSettings, timeoutMs: number, proc?: ManagedProcess): Promise<void> {
  await waitUntil(
    `Kafka on ${brokerAddresses(settings).join(',')}`,
    async () => {
      const { brokers } = await describeCluster(settings);
      if (brokers < settings.nodes) throw new Error(`${brokers} of ${settings.nodes} brokers registered`);
    },
    timeoutMs,
    proc,
  );
}

export async function describeCluster(
  settings: BrokerSettings,
): Promise<{ brokers: number; controller: number | null }> {
  const admin = new Kafka({
    brokers: brokerAddresses(settings),
    clientId: 'tally-stack',
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return { brokers: cluster.brokers.length, controller: cluster.controller };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Stops every node (or only `node`); 'not running' when none was. */
export async function stopBroker(
  settings: BrokerSettings = brokerSettings(),
  node?: number,
): Promise<'stopped' | 'killed' | 'not running'> {
  const nodes = node === undefined ? brokerNodes(settings) : [node];
  const outcomes = await Promise.all(nodes.map((n) => stopProcess(brokerProcess(settings, n), 30_000)));
  return outcomes.find((o) => o === 'killed') ?? outcomes.find((o) => o === 'stopped') ?? 'not running';
}
