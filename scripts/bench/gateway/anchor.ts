/**
 * The bare anchor of the read measures: a Fastify app answering one GET with a constant JSON, in a process of its
 * own, driven by the same client at the same connections as the reads. No route can be faster than it on this
 * machine, so it shows what the machine (2 cores shared by the client, the gateway and the owners) allows at all.
 * It is the gateway's own Fastify (resolved from the gateway's package: the scripts do not depend on Fastify),
 * with the gateway's request logging off; none of the gateway's hooks, limits or metrics.
 * Run as a process by startAnchor(); it prints its URL once listening.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const ANCHOR_PATH = '/anchor';
const ANSWER = { streamId: 'anchor', concurrent: 42, windowSeconds: 30, asOf: 1_750_000_000_000 };

interface MinimalFastify {
  get: (path: string, handler: () => Promise<unknown>) => void;
  listen: (options: { port: number; host: string }) => Promise<string>;
}

async function serve(): Promise<void> {
  const fastify = createRequire(import.meta.resolve('@tally/ingest-gateway'))('fastify') as (
    options: object,
  ) => MinimalFastify;
  const app = fastify({ logger: false });
  app.get(ANCHOR_PATH, async () => ANSWER);
  console.log(await app.listen({ port: 0, host: '127.0.0.1' }));
}

/** Starts the anchor as its own process: its base URL, and how to stop it. */
export function startAnchor(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the anchor exited with ${code} before it listened`)));
    child.stdout.once('data', (chunk: Buffer) =>
      resolve({ url: chunk.toString().trim(), stop: () => void child.kill('SIGTERM') }),
    );
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve();
