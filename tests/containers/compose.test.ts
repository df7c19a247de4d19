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
import { eventually, freePort } from '@tally/testkit';

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

/** Polls once a second; a probe that throws (a container not listening yet) counts as not yet. */
const within = (timeoutMs: number, probe: () => Promise<boolean>) =>
  eventually(() => probe().catch(() => false), timeoutMs, 1000);

const api = (path: string, init: RequestInit = {}) => fetch(`${gateway}${path}`, init);
const post = (path: string, body: unknown) =>
  api(path, { method: 'POST', headers: { ...KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) });

beforeAll(async () => {
  await engineUp(() => undefined);
  // the images compose runs: all but the bases the others stand on
  const bases = new Set(IMAGES.flatMap((spec) => spec.base));
  const missing = IMAGES.filter((spec) => !bases.has(spec.name))
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
  if (!(await within(300_000, async () => (await api('/readyz')).ok)))
    throw new Error('the gateway was not ready within 300 s');
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
    let place: unknown;
    const readable = await within(30_000, async () => {
      const response = await api(`/v1/queues/concert/tickets/${ticket.ticketId}`, {
        headers: { authorization: `Bearer ${ticket.ticketSecret}` },
      });
      place = response.ok ? await response.json() : undefined;
      return response.ok;
    });
    expect(readable, 'the ticket readable by its secret').toBe(true);
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
    let likes: number | undefined;
    await within(60_000, async () => {
      ({ likes } = (await (await api('/v1/items/post-1/counts')).json()) as { likes?: number });
      return likes === 1;
    });
    expect(likes).toBe(1);
  });

  it('serves the live console', async () => {
    expect((await api('/console/')).status).toBe(200);
  });

  it('scrapes every Tally service with the observability profile’s Prometheus', async () => {
    await compose(...OBSERVABILITY, 'up', '--detach', 'prometheus');
    let targets: { job: string; up: boolean }[] = [];
    await within(90_000, async () => {
      const response = await fetch(`${prometheus}/api/v1/query?query=up`);
      const body = (await response.json()) as {
        data: { result: { metric: { job: string }; value: [number, string] }[] };
      };
      targets = body.data.result.map((series) => ({ job: series.metric.job, up: series.value[1] === '1' }));
      return targets.length >= 10 && targets.every((target) => target.up);
    });
    expect(targets.filter((target) => !target.up)).toEqual([]);
    expect(targets.length).toBeGreaterThanOrEqual(10);
    expect(targets.map((target) => target.job)).toEqual(
      expect.arrayContaining(['ingest-gateway', 'wallet-ledger', 'vote-merger-merger']),
    );
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
