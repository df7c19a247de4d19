import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureMavenBuild } from './maven.js';
import { deployDir, stackDir } from './paths.js';
import { runningPid, startDetached, stopProcess, waitUntil, type ManagedProcess } from './processes.js';

export interface BrokerSettings {
  port: number;
  controllerPort: number;
  heapMb: number;
}

export function brokerSettings(env: NodeJS.ProcessEnv = process.env): BrokerSettings {
  return {
    port: Number(env.TALLY_KAFKA_PORT ?? 9092),
    controllerPort: Number(env.TALLY_KAFKA_CONTROLLER_PORT ?? 9093),
    heapMb: Number(env.TALLY_KAFKA_HEAP_MB ?? 1024),
  };
}

const kafkaProject = join(deployDir, 'kafka');
const libs = join(kafkaProject, 'target', 'libs');

/** The broker's jars, for Kafka's own tools (kafka-consumer-groups and friends) run with the machine's Java. */
export const kafkaClasspath = () => `${libs}/*`;

export function brokerProcess(): ManagedProcess {
  return { name: 'kafka', pidFile: join(stackDir(), 'kafka.pid'), logFile: join(stackDir(), 'logs', 'kafka.log') };
}

/** One KRaft node acting as broker and controller, data under .stack/kafka, as in Kafka's quickstart. */
function serverProperties(settings: BrokerSettings, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${settings.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${settings.port},CONTROLLER://127.0.0.1:${settings.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${settings.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    // one broker: internal topics cannot have more replicas than brokers
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
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

/** Builds the jars if needed, formats storage once, starts the broker and waits until it answers metadata. */
export async function startBroker(
  settings: BrokerSettings,
  log: (line: string) => void,
): Promise<'started' | 'already running'> {
  ensureBrokerJars(log);
  const proc = brokerProcess();
  if (runningPid(proc) !== undefined) {
    await waitForBroker(settings, 60_000, proc);
    return 'already running';
  }
  const home = join(stackDir(), 'kafka');
  const dataDir = join(home, 'data');
  mkdirSync(dataDir, { recursive: true });
  const config = join(home, 'server.properties');
  writeFileSync(config, serverProperties(settings, dataDir));
  writeFileSync(join(home, 'log4j2.properties'), log4j);
  const classpath = `${libs}/*`;
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    const clusterId = java(['-cp', classpath, 'kafka.tools.StorageTool', 'random-uuid']).trim();
    java(['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config]);
    log(`formatted KRaft storage (cluster ${clusterId})`);
  }
  startDetached(
    proc,
    'java',
    [
      `-Xms256m`,
      `-Xmx${settings.heapMb}m`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      config,
    ],
    { cwd: home },
  );
  await waitForBroker(settings, 90_000, proc);
  return 'started';
}

export async function waitForBroker(settings: BrokerSettings, timeoutMs: number, proc?: ManagedProcess): Promise<void> {
  await waitUntil(`Kafka on 127.0.0.1:${settings.port}`, () => describeCluster(settings), timeoutMs, proc);
}

export async function describeCluster(
  settings: BrokerSettings,
): Promise<{ brokers: number; controller: number | null }> {
  const admin = new Kafka({
    brokers: [`127.0.0.1:${settings.port}`],
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

export function stopBroker() {
  return stopProcess(brokerProcess(), 30_000);
}
