import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, startTestGateway, type TestGateway } from './fixtures/gateway.js';

const stack = inject('stack');

/**
 * A STAND-IN for the viewer-aggregator, used ONLY to test the routing mechanics of the gateway (path, query,
 * status and body passed through; failures mapped to 502/503). What the real aggregator answers is tested in
 * services/viewer-aggregator.
 */
const seen: string[] = [];
const fakeAggregator: Server = createServer((request, response) => {
  seen.push(request.url ?? '');
  const path = request.url?.split('?')[0] ?? '';
  if (path === '/v1/streams/stream-1/viewers') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ streamId: 'stream-1', concurrent: 5, windowSeconds: 30, asOf: 1_750_000_000_000 }));
  } else if (path === '/v1/streams/stream-1/viewers/history') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ streamId: 'stream-1', granularity: 'hour', buckets: [{ peakConcurrent: 5, uniqueViewers: 7, heartbeats: 360 }] }));
  } else if (path === '/v1/streams/too-wide/viewers/history') {
    response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_range', message: 'at most 1000 buckets', details: [] }));
  } else if (path === '/v1/streams/broken/viewers') {
    response.writeHead(500, { 'content-type': 'text/html' }).end('<html>oops</html>');
  } else if (path === '/v1/streams/slow/viewers') {
    // never answers: the gateway's read timeout must
  } else {
    response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found', message: 'no such thing', details: [] }));
  }
});

let routed: TestGateway;
let unreachable: TestGateway;

beforeAll(async () => {
  await new Promise<void>((resolve) => fakeAggregator.listen(0, '127.0.0.1', resolve));
  const port = (fakeAggregator.address() as AddressInfo).port;
  routed = await startTestGateway(stack, 'reads', { VIEWER_AGGREGATOR_URL: `http://127.0.0.1:${port}`, READ_TIMEOUT_MS: '300' });
  // a port that was just free: nothing answers there
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  unreachable = await startTestGateway(stack, 'reads-unreachable', { VIEWER_AGGREGATOR_URL: `http://127.0.0.1:${deadPort}` });
});

afterAll(async () => {
  await routed?.close();
  await unreachable?.close();
  fakeAggregator.closeAllConnections();
  await new Promise((resolve) => fakeAggregator.close(resolve));
});

describe('reads routed to the viewer-aggregator', () => {
  it('passes path, query, status and JSON body through, without a key', async () => {
    expect(await call(routed.base, 'GET', '/v1/streams/stream-1/viewers')).toMatchObject({
      status: 200,
      body: { streamId: 'stream-1', concurrent: 5, windowSeconds: 30, asOf: 1_750_000_000_000 },
    });
    const history = await call(routed.base, 'GET', '/v1/streams/stream-1/viewers/history?from=1000&to=2000&granularity=hour');
    expect(history).toMatchObject({ status: 200, body: { granularity: 'hour', buckets: [{ peakConcurrent: 5, uniqueViewers: 7, heartbeats: 360 }] } });
    expect(seen).toContain('/v1/streams/stream-1/viewers/history?from=1000&to=2000&granularity=hour');
    // the owner's own refusals come back as they are
    expect(await call(routed.base, 'GET', '/v1/streams/too-wide/viewers/history?from=0&to=1')).toMatchObject({ status: 400, body: { error: 'invalid_range', message: 'at most 1000 buckets' } });
    expect(await call(routed.base, 'GET', '/v1/streams/unknown/viewers')).toMatchObject({ status: 404, body: { error: 'not_found', message: 'no such thing' } });
  });

  it('refuses bad reads itself, without asking the owner', async () => {
    const before = seen.length;
    for (const path of ['/v1/streams/stream-1/viewers/history?from=1', '/v1/streams/stream-1/viewers/history?from=x&to=2', '/v1/streams/stream-1/viewers/history?from=1&to=2&granularity=week', '/v1/streams/stream-1/viewers/history?from=1&to=2&limit=3', `/v1/streams/${'s'.repeat(129)}/viewers`]) {
      const answer = await call(routed.base, 'GET', path);
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).toMatchObject({ error: 'invalid_request', details: expect.any(Array) });
    }
    expect(seen.length).toBe(before);
  });

  it('answers 502 when the owner answers something that is not JSON, 503 when it is too slow', async () => {
    expect(await call(routed.base, 'GET', '/v1/streams/broken/viewers')).toMatchObject({ status: 502, body: { error: 'bad_gateway', details: [] } });
    const slow = await call(routed.base, 'GET', '/v1/streams/slow/viewers');
    expect(slow).toMatchObject({ status: 503, body: { error: 'unavailable', details: [] } });
    expect(slow.headers.get('retry-after')).toBe('1');
  });

  it('answers 503 with Retry-After when the owner cannot be reached', async () => {
    const answer = await call(unreachable.base, 'GET', '/v1/streams/stream-1/viewers');
    expect(answer).toMatchObject({ status: 503, body: { error: 'unavailable', message: 'viewer-aggregator cannot be reached right now; try again shortly', details: [] } });
    expect(answer.headers.get('retry-after')).toBe('1');
  });
});
