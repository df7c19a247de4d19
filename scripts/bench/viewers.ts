/**
 * Live-viewers benchmark on this machine (not a test: it prints numbers). Starts ingest-gateway and
 * viewer-aggregator as processes against the running local stack, then measures:
 *   1. heartbeats/s accepted by the gateway (202 = acknowledged by Kafka), batch route and single route;
 *   2. heartbeats/s processed by the aggregator (its own tally_records_processed_total, until lag is 0);
 *   3. delay from POST to visible in GET /viewers, p50/p99, with the system otherwise idle.
 * Usage: pnpm bench:viewers [--seconds 15] [--concurrency 8]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { stackUp } from '@tally/stack';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, concurrency: { type: 'string', default: '8' }, probes: { type: 'string', default: '200' } } });
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);
const run = `bench-${Date.now().toString(36)}`;
const gatewayUrl = 'http://127.0.0.1:18080';
const aggregatorUrl = 'http://127.0.0.1:18091';
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const key = 'tally-dev-key';
const children: ChildProcess[] = [];

function post(path: string, body: unknown): Promise<{ status: number; body: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${gatewayUrl}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'content-length': Buffer.byteLength(payload) } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end();
  });
}

function start(name: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${name}/src/main.ts`], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

async function waitReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never became ready`);
}

async function processed(): Promise<number> {
  const text = await get(`${aggregatorUrl}/metrics`);
  return [...text.matchAll(/^tally_records_processed_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function lag(): Promise<number> {
  const text = await get(`${aggregatorUrl}/metrics`);
  return [...text.matchAll(/^tally_consumer_lag\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
let seq = 0;
const beat = (streamId: string, sessionId: string) => ({ source: run, seq: seq++, sessionId, positionMs: 1000 });

/** Sends for `ms` with `workers` loops; returns heartbeats accepted (202) and requests made. */
async function drive(ms: number, workers: number, send: () => Promise<number>): Promise<{ accepted: number; requests: number; elapsed: number; latencies: number[] }> {
  const until = Date.now() + ms;
  let accepted = 0;
  let requests = 0;
  const latencies: number[] = [];
  const started = Date.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < until) {
        const t = performance.now();
        accepted += await send();
        latencies.push(performance.now() - t);
        requests++;
      }
    }),
  );
  return { accepted, requests, elapsed: (Date.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

async function main() {
  await stackUp(() => undefined);
  start('viewer-aggregator', { PORT: '18091', CONSUMER_GROUP: `viewer-aggregator-${run}` });
  start('ingest-gateway', { PORT: '18080', VIEWER_AGGREGATOR_URL: aggregatorUrl, RATE_LIMIT_PER_SECOND: '1000000' });
  await Promise.all([waitReady(gatewayUrl), waitReady(aggregatorUrl)]);
  // the new group starts from earliest: let it work through the topic's history before measuring
  while ((await lag()) > 0 || (await processed()) === 0) await new Promise((r) => setTimeout(r, 500));
  const results: Record<string, number | string> = { run, seconds, concurrency };

  const processedBefore = await processed();
  const t0 = Date.now();
  const batch = await drive(seconds * 1000, concurrency, async () => {
    const items = Array.from({ length: 500 }, (_, i) => ({ streamId: `${run}-s${i % 100}`, ...beat('', `${run}-sess-${seq % 20000}`) }));
    const r = await post('/v1/heartbeats/batch', { items });
    return r.status === 200 ? (JSON.parse(r.body) as { results: { status: number }[] }).results.filter((x) => x.status === 202).length : 0;
  });
  results['gateway batch: heartbeats/s accepted'] = Math.round(batch.accepted / batch.elapsed);
  results['gateway batch: requests p99 ms'] = +percentile(batch.latencies, 99).toFixed(1);

  while ((await lag()) > 0) await new Promise((r) => setTimeout(r, 100));
  const drained = (Date.now() - t0) / 1000;
  results['aggregator: heartbeats/s processed'] = Math.round(((await processed()) - processedBefore) / drained);

  const single = await drive(Math.min(10, seconds) * 1000, concurrency * 4, async () => {
    const r = await post(`/v1/streams/${run}-single/heartbeats`, beat('', `${run}-single-${seq % 5000}`));
    return r.status === 202 ? 1 : 0;
  });
  results['gateway single: requests/s accepted'] = Math.round(single.accepted / single.elapsed);
  results['gateway single: p50 ms'] = +percentile(single.latencies, 50).toFixed(1);
  results['gateway single: p99 ms'] = +percentile(single.latencies, 99).toFixed(1);
  while ((await lag()) > 0) await new Promise((r) => setTimeout(r, 100));

  const delays: number[] = [];
  for (let i = 0; i < Number(args.probes); i++) {
    const streamId = `${run}-probe-${i}`;
    const t = performance.now();
    await post(`/v1/streams/${streamId}/heartbeats`, beat(streamId, 'probe'));
    for (;;) {
      const body = JSON.parse(await get(`${gatewayUrl}/v1/streams/${streamId}/viewers`)) as { concurrent: number };
      if (body.concurrent === 1) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    delays.push(performance.now() - t);
  }
  delays.sort((a, b) => a - b);
  results['POST → visible in GET: p50 ms'] = +percentile(delays, 50).toFixed(1);
  results['POST → visible in GET: p99 ms'] = +percentile(delays, 99).toFixed(1);

  console.log('\nlive viewers benchmark (this machine, every component sharing it)');
  for (const [name, value] of Object.entries(results)) console.log(`  ${name.padEnd(42)} ${value}`);
  console.log(JSON.stringify(results));
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
    agent.destroy();
  });
