/**
 * docker-compose.yml for real: the whole of Tally from the images `tally images build` makes, brought up by
 * docker-compose against podman's Docker-compatible socket; the README's examples and `tally load` through its
 * gateway; then `down -v` leaves no container, network or volume behind. Part of `pnpm test:containers`
 * (scripts/test-containers.sh starts the engine and builds the images first).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGES, dockerHost, engineUp, imageExists, imageReference, repoRoot } from '@tally/stack';
import { freePort } from '@tally/testkit';

const run = promisify(execFile);
const PROJECT = 'tally-compose-check';
const KEY = { authorization: 'Bearer tally-dev-key' };
/** The profile whose Prometheus is checked here (its Grafana is a public image only). */
const OBSERVABILITY = ['--profile', 'observability'];

let gateway = '';
let prometheus = '';
let env: NodeJS.ProcessEnv = {};

const compose = (...args: string[]) =>
  run('docker-compose', ['--project-name', PROJECT, ...args], { cwd: repoRoot, env, maxBuffer: 64 << 20 });

/** What podman still holds of the project: containers, volumes and networks labelled with its name. */
async function leftovers(): Promise<string[]> {
  const label = `label=com.docker.compose.project=${PROJECT}`;
  const list = async (kind: string[]) =>
    (await run('podman', [...kind, '--filter', label, '--format', '{{.Name}}'])).stdout.split('\n').filter(Boolean);
  return [...(await list(['ps', '--all'])), ...(await list(['volume', 'ls'])), ...(await list(['network', 'ls']))];
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const api = (path: string, init: RequestInit = {}) => fetch(`${gateway}${path}`, init);
const post = (path: string, body: unknown) =>
  api(path, { method: 'POST', headers: { ...KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  await engineUp(() => undefined);
  const missing = IMAGES.filter((spec) => !['debian', 'node', 'java', 'prometheus'].includes(spec.name))
    .map((spec) => imageReference(spec.name))
    .filter((reference) => !imageExists(reference));
  if (missing.length > 0) throw new Error(`missing images ${missing.join(', ')}: run pnpm tally images build`);
  const [port, prometheusPort] = [await freePort(), await freePort()];
  gateway = `http://127.0.0.1:${port}`;
  prometheus = `http://127.0.0.1:${prometheusPort}`;
  env = {
    ...process.env,
    DOCKER_HOST: dockerHost(),
    TALLY_HTTP_PORT: String(port),
    PROMETHEUS_PORT: String(prometheusPort),
  };
  await compose(...OBSERVABILITY, 'down', '--volumes', '--remove-orphans').catch(() => undefined);
  const started = performance.now();
  await compose('up', '--detach');
  await until('the gateway ready', async () => ((await api('/readyz')).ok ? true : undefined), 300_000);
  console.log(
    `compose: every service up and the gateway ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}, 420_000);

afterAll(async () => {
  if (!env.DOCKER_HOST) return;
  const { stdout } = await compose('ps');
  console.log(stdout);
  await compose(...OBSERVABILITY, 'down', '--volumes', '--remove-orphans', '--timeout', '30');
  expect(await leftovers()).toEqual([]);
}, 180_000);

describe('docker-compose: the whole of Tally in containers', () => {
  it('answers the README examples: private wallet, a queue ticket and its holder’s read', async () => {
    expect((await api('/v1/wallets/alice')).status).toBe(401);
    const wallet = await api('/v1/wallets/alice', { headers: KEY });
    expect(wallet.status).toBe(200);
    const joined = await post('/v1/queues/concert/tickets', { source: 'shop', seq: 1, userId: 'alice' });
    expect(joined.status).toBe(202);
    const ticket = (await joined.json()) as { id: string; ticketId: string; ticketSecret: string };
    expect(ticket).toMatchObject({ id: 'shop:1', ticketId: expect.stringMatching(/^t_/) });
    const place = await until(
      'the ticket readable by its secret',
      async () => {
        const response = await api(`/v1/queues/concert/tickets/${ticket.ticketId}`, {
          headers: { authorization: `Bearer ${ticket.ticketSecret}` },
        });
        return response.ok ? response.json() : undefined;
      },
      30_000,
    );
    expect(place).toMatchObject({ ticketId: ticket.ticketId });
  });

  it('counts a like through Kafka, the materializer, Redis and Postgres', async () => {
    const accepted = await post('/v1/items/post-1/likes', {
      source: 'compose-check',
      seq: 1,
      userId: 'alice',
      liked: true,
    });
    expect(accepted.status).toBe(202);
    const counted = await until(
      'the like counted',
      async () => {
        const body = (await (await api('/v1/items/post-1/counts')).json()) as { likes?: number };
        return body.likes === 1 ? body : undefined;
      },
      60_000,
    );
    expect(counted.likes).toBe(1);
  });

  it('serves the live console', async () => {
    expect((await api('/console/')).status).toBe(200);
  });

  it('scrapes every Tally service with the observability profile’s Prometheus', async () => {
    await compose(...OBSERVABILITY, 'up', '--detach', 'prometheus');
    const jobs = await until(
      'every target up',
      async () => {
        const response = await fetch(`${prometheus}/api/v1/query?query=up`);
        const body = (await response.json()) as {
          data: { result: { metric: { job: string }; value: [number, string] }[] };
        };
        const up = body.data.result.filter((series) => series.value[1] === '1').map((series) => series.metric.job);
        return up.length === body.data.result.length && up.length >= 10 ? up : undefined;
      },
      90_000,
    );
    expect(jobs).toEqual(expect.arrayContaining(['ingest-gateway', 'wallet-ledger', 'vote-merger-merger']));
  }, 120_000);

  it('takes `tally load` through the gateway without failures', async () => {
    const { stdout } = await run(
      'node',
      [
        '--import',
        'tsx',
        'packages/stack/src/cli.ts',
        'load',
        '--url',
        gateway,
        '--rate',
        '50',
        '--seconds',
        '10',
        '--json',
      ],
      { cwd: repoRoot, env: process.env, maxBuffer: 16 << 20 },
    );
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<
      string,
      { sent: number; accepted: number; refused: number; failed: number }
    >;
    const jobs = Object.values(summary);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      expect(job.sent).toBeGreaterThan(0);
      expect(job.failed).toBe(0);
      expect(job.accepted).toBeGreaterThan(0);
    }
  }, 60_000);
});
