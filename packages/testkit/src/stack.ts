import type {} from 'vitest';
import { stackEndpoints } from '@tally/stack';

/** The real services an integration test talks to, and where they came from. */
export interface TestStack {
  brokers: string[];
  registryUrl: string;
  redisUrl: string;
  /** The Redis is a Redis Cluster (REDIS_CLUSTER=true for services; createRedis reads it from the environment). */
  redisCluster: boolean;
  databaseUrl: string;
  origin: 'environment' | 'local stack (already running)' | 'local stack (started for the tests)' | 'testcontainers';
}

// What global-setup.ts provides, so `inject('stack')` is typed. Declared here, beside TestStack, because this file's
// declarations reach every test project that imports the testkit (tsc -b checks them against the emitted .d.ts).
declare module 'vitest' {
  export interface ProvidedContext {
    stack: TestStack;
  }
}

/**
 * Set all four to point the tests at services run elsewhere (a CI service container, a shared cluster), and
 * TALLY_REDIS_CLUSTER=true when that Redis is a Redis Cluster.
 */
export const stackVariables = [
  'TALLY_KAFKA_BROKERS',
  'TALLY_SCHEMA_REGISTRY_URL',
  'TALLY_REDIS_URL',
  'TALLY_DATABASE_URL',
] as const;

export function stackFromEnvironment(env: NodeJS.ProcessEnv = process.env): TestStack | undefined {
  const set = stackVariables.filter((name) => env[name]);
  if (set.length === 0) return undefined;
  if (set.length < stackVariables.length) {
    throw new Error(
      `set all of ${stackVariables.join(', ')} or none; missing ${stackVariables.filter((n) => !env[n]).join(', ')}`,
    );
  }
  return {
    brokers: env.TALLY_KAFKA_BROKERS!.split(',').map((b) => b.trim()),
    registryUrl: env.TALLY_SCHEMA_REGISTRY_URL!,
    redisUrl: env.TALLY_REDIS_URL!,
    redisCluster: env.TALLY_REDIS_CLUSTER === 'true',
    databaseUrl: env.TALLY_DATABASE_URL!,
    origin: 'environment',
  };
}

/** The local stack of the profile in effect (TALLY_STACK_PROFILE), as the tests see it. */
export function localStack(origin: TestStack['origin'] = 'local stack (already running)'): TestStack {
  const e = stackEndpoints();
  return {
    brokers: e.brokers,
    registryUrl: e.registryUrl,
    redisUrl: e.redisUrl,
    redisCluster: e.redisCluster,
    databaseUrl: e.databaseUrl,
    origin,
  };
}
