import type { TestProject } from 'vitest/node';
import { stackDown, stackStatus, stackUp } from '@tally/stack';
import { dockerMayBeReachable, startContainers } from './containers.js';
import { localStack, stackFromEnvironment, type TestStack } from './stack.js';

/**
 * Finds real services for the integration tests, in this order: the TALLY_* environment variables; the local
 * stack if it is already up; Testcontainers if a Docker engine answers; else the local stack, started here and
 * stopped after the run. TALLY_TEST_STACK=containers asks for Testcontainers only (`pnpm test:containers`): no
 * fallback, so a run that says it used containers did.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(`[testkit] ${line}`);
  if (process.env.TALLY_TEST_STACK === 'containers') return useContainers(project, log);
  let teardown = async () => undefined as void;
  let stack = stackFromEnvironment();
  if (!stack && (await stackStatus()).every((c) => c.up)) stack = localStack('local stack (already running)');
  if (!stack && dockerMayBeReachable()) {
    try {
      const containers = await startContainers();
      stack = containers.stack;
      teardown = containers.stop;
    } catch (error) {
      log(
        `Testcontainers unavailable (${error instanceof Error ? error.message : String(error)}); using the local stack`,
      );
    }
  } else if (!stack) {
    log('no Docker engine here: Testcontainers skipped; starting the local stack');
  }
  if (!stack) {
    await stackUp(log);
    stack = localStack('local stack (started for the tests)');
    teardown = () => stackDown(log);
  }
  return provide(project, stack, teardown, log);
}

async function useContainers(project: TestProject, log: (line: string) => void): Promise<() => Promise<void>> {
  const started = performance.now();
  const containers = await startContainers();
  log(`containers started and set up in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return provide(project, containers.stack, containers.stop, log);
}

function provide(
  project: TestProject,
  stack: TestStack,
  teardown: () => Promise<void>,
  log: (line: string) => void,
): () => Promise<void> {
  log(
    `integration tests use ${stack.origin}: kafka ${stack.brokers.join(',')}, registry ${stack.registryUrl}, redis ${stack.redisCluster ? 'cluster ' : ''}${stack.redisUrl}, postgres ${stack.databaseUrl}`,
  );
  // test files and the services they start create their Redis clients from the environment (createRedis)
  if (stack.redisCluster !== (process.env.REDIS_CLUSTER === 'true'))
    throw new Error(
      `the stack's Redis is ${stack.redisCluster ? '' : 'not '}a cluster: run the tests with REDIS_CLUSTER=${stack.redisCluster} (pnpm test:cluster does)`,
    );
  project.provide('stack', stack);
  return teardown;
}
