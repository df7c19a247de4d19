import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { repoRoot } from '@tally/stack';
import type { TestStack } from './stack.js';

/** A service started from its main.ts as a separate process, as it is deployed. */
export interface ServiceProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** SIGTERM waits for a graceful exit; SIGKILL is a crash. Resolves once the process is gone. */
  stop: (signal?: 'SIGTERM' | 'SIGKILL') => Promise<void>;
}

/** A port nothing listens on right now (the OS picks it), for a child process that cannot report its own. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** The connection variables every service reads, pointing at the test stack. */
export const stackEnvironment = (stack: TestStack): Record<string, string> => ({
  KAFKA_BROKERS: stack.brokers.join(','),
  SCHEMA_REGISTRY_URL: stack.registryUrl,
  REDIS_URL: stack.redisUrl,
  REDIS_CLUSTER: String(stack.redisCluster),
  DATABASE_URL: stack.databaseUrl,
});

/**
 * Starts services/<name>/src/main.ts with `env` on env.PORT or a free port and waits until GET /readyz answers 200.
 * Its output goes to the test output when TEST_LOG_LEVEL is set; otherwise its tail is kept for the error of a failed start.
 */
export async function startServiceProcess(
  name: string,
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], {
    cwd: repoRoot,
    env: {
      ...process.env,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...env,
    },
    stdio: ['ignore', process.env.TEST_LOG_LEVEL ? 'inherit' : 'pipe', process.env.TEST_LOG_LEVEL ? 'inherit' : 'pipe'],
  });
  // the service logs (pino, JSON on stdout) and anything on stderr: the tail says why a start failed
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${name} exited with ${child.exitCode} before it was ready:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready within ${readyTimeoutMs} ms; its last output:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return { name, url, child, stop };
}
