import { existsSync } from 'node:fs';
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
 * Kafka (KRaft), Apicurio Registry, Redis and Postgres as containers, for machines with a Docker engine and no
 * local stack. Imported lazily so machines without Docker never load the client.
 */
export async function startContainers(): Promise<RunningContainers> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  await getContainerRuntimeClient();
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { RedisContainer } = await import('@testcontainers/redis');
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const [kafka, registry, redis, postgres] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:7.9.0').withKraft().start(),
    new GenericContainer('apicurio/apicurio-registry:3.3.3')
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start(),
    new RedisContainer('redis:7.4-alpine').start(),
    new PostgreSqlContainer('postgres:16-alpine').start(),
  ]);
  return {
    stack: {
      brokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
      registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
      redisUrl: redis.getConnectionUrl(),
      redisCluster: false,
      databaseUrl: postgres.getConnectionUri(),
      origin: 'testcontainers',
    },
    stop: async () => {
      await Promise.all([kafka.stop(), registry.stop(), redis.stop(), postgres.stop()]);
    },
  };
}
