import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { imageReference, setupCluster, type ImageName } from '@tally/stack';
import type { StartedTestContainer } from 'testcontainers';
import { freePort } from './service-process.js';
import type { TestStack } from './stack.js';

export interface RunningContainers {
  stack: TestStack;
  stop: () => Promise<void>;
}

/** Whether a Docker engine may be reachable: a socket or DOCKER_HOST. (The client itself may still fail.) */
export function dockerMayBeReachable(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.DOCKER_HOST) || existsSync('/var/run/docker.sock');
}

/**
 * Kafka (KRaft), the schema registry, Redis and Postgres as containers, from the images `tally images build`
 * makes here, or those their variables name (KAFKA_IMAGE=apache/kafka:4.3.1 and so on, where a registry is
 * reachable: the local images take the public ones' settings). Every port is published on 127.0.0.1 only.
 * Imported lazily so machines without an engine never load the client.
 */
export async function startContainers(env: NodeJS.ProcessEnv = process.env): Promise<RunningContainers> {
  // every port is published on 127.0.0.1 (below), so that is the address to reach them by ("localhost" may be ::1)
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  await getContainerRuntimeClient();

  /** Docker publishes a port on every interface unless told an address; testcontainers has no option for it. */
  class LoopbackContainer extends GenericContainer {
    onLoopback(): this {
      for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
        for (const binding of bindings as { HostIp?: string }[]) binding.HostIp = '127.0.0.1';
      }
      return this;
    }
  }
  const container = (name: ImageName) => new LoopbackContainer(imageReference(name, env));

  // Kafka advertises the address clients must use, so its host port is chosen first and 9092 published on it.
  // Every setting is spelled out, not left to the local image's defaults: the public apache/kafka image takes
  // its whole configuration from these variables once any is set.
  const kafkaPort = await freePort();
  const start = (pending: LoopbackContainer) => pending.onLoopback().start();
  // all at once; if one fails, the others are stopped once they have started
  const outcomes = await Promise.allSettled([
    start(
      container('kafka')
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
          KAFKA_NUM_PARTITIONS: '3',
        })
        .withExposedPorts({ container: 9092, host: kafkaPort })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .withStartupTimeout(120_000),
    ),
    start(
      container('schema-registry')
        .withExposedPorts(8080)
        .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
        .withStartupTimeout(180_000),
    ),
    start(
      container('redis')
        .withCommand(['redis-server', '--protected-mode', 'no', '--save', '', '--appendonly', 'no'])
        .withExposedPorts(6379)
        .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/)),
    ),
    start(
      container('postgres')
        .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
        .withExposedPorts(5432)
        // the public image starts a temporary server while it initialises: ask the real one
        .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U postgres'))
        .withStartupTimeout(120_000),
    ),
  ]);
  const started = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed) {
    await stopAll(started);
    throw failed.reason;
  }
  const [, registry, redis, postgres] = started as [
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
    StartedTestContainer,
  ];
  const address = (running: StartedTestContainer, port: number) => `127.0.0.1:${running.getMappedPort(port)}`;
  const stack: TestStack = {
    brokers: [`127.0.0.1:${kafkaPort}`],
    registryUrl: `http://${address(registry, 8080)}/apis/ccompat/v7`,
    redisUrl: `redis://${address(redis, 6379)}`,
    redisCluster: false,
    databaseUrl: `postgres://postgres@${address(postgres, 5432)}/postgres`,
    origin: 'testcontainers',
  };
  // what `stack up` does on a new cluster too, and tests expect of theirs: the catalogue's topics and schemas
  try {
    const kafka = new Kafka({ brokers: stack.brokers, clientId: 'tally-testkit', logLevel: logLevel.ERROR });
    await setupCluster(kafka, stack.registryUrl);
  } catch (error) {
    await stopAll(started);
    throw error;
  }
  return { stack, stop: () => stopAll(started) };
}

async function stopAll(started: StartedTestContainer[]): Promise<void> {
  await Promise.allSettled(started.map((running) => running.stop({ remove: true, removeVolumes: true })));
}
