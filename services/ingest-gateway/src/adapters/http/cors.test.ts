/**
 * CORS_ORIGINS through app.inject and no servers: a browser page on an allowed origin may send its preflight and
 * its writes and read every answer (Retry-After too); any other origin, and a gateway without the setting, gets
 * no CORS headers at all.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, json, keys } from '../../test-support/keys.js';
import { expectProblem } from '../../test-support/problem.js';
import { injectCall, unitGateway } from '../../test-support/unit-gateway.js';
import type { GatewayLimits } from './gateway.js';
import type { CorsOrigins } from './cors.js';

const SHOP = 'https://shop.example';
const DEV = 'http://127.0.0.1:5173';
const path = '/v1/streams/stream-1/heartbeats';
let seq = 0;
const heartbeat = () => JSON.stringify({ source: 'page-1', seq: ++seq, sessionId: 'sess-1', positionMs: 1000 });

/** What a browser asks before a write with a key and a JSON body. */
const preflight = (origin: string | undefined, url = path): InjectOptions => ({
  method: 'OPTIONS',
  url,
  headers: {
    ...(origin === undefined ? {} : { origin }),
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type',
  },
});

const write = (origin: string | undefined): InjectOptions => ({
  method: 'POST',
  url: path,
  headers: { ...json, ...bearer(keys.writer), ...(origin === undefined ? {} : { origin }) },
  payload: heartbeat(),
});

/** The access-control-* headers of an answer, by name. */
const corsHeaders = (response: LightMyRequestResponse) =>
  Object.fromEntries(Object.entries(response.headers).filter(([name]) => name.startsWith('access-control-')));

/** One gateway per describe block, with these CORS origins (and limits). */
function gatewayWith(corsOrigins: CorsOrigins | undefined, limits: Partial<GatewayLimits> = {}) {
  const world = { app: undefined as unknown as FastifyInstance };
  beforeAll(async () => {
    world.app = await unitGateway(Object.values(keys), limits, corsOrigins === undefined ? {} : { corsOrigins });
  });
  afterAll(async () => {
    await world.app.close();
  });
  return world;
}

describe('CORS with exact origins', () => {
  const world = gatewayWith([SHOP, DEV]);

  it('answers a preflight from an allowed origin, with no key', async () => {
    for (const origin of [SHOP, DEV]) {
      const response = await world.app.inject(preflight(origin));
      expect(response.statusCode).toBe(204);
      expect(response.body).toBe('');
      expect(corsHeaders(response)).toEqual({
        'access-control-allow-origin': origin,
        'access-control-allow-methods': 'GET, POST, PUT, DELETE',
        'access-control-allow-headers': 'authorization, content-type, accept, last-event-id',
        'access-control-expose-headers': 'retry-after',
        'access-control-max-age': '600',
      });
      // no credentials: keys are headers, never cookies
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
      expect(response.headers.vary).toMatch(/\bOrigin\b/i);
    }
  });

  it('lets the page read a write’s answer, Retry-After included, and a refusal', async () => {
    const response = await world.app.inject(write(SHOP));
    expect(response.statusCode).toBe(202);
    expect(response.headers['access-control-allow-origin']).toBe(SHOP);
    expect(String(response.headers['access-control-expose-headers']).split(/,\s*/)).toContain('retry-after');
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    const anonymous = await world.app.inject({ ...write(SHOP), headers: { ...json, origin: SHOP } });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['access-control-allow-origin']).toBe(SHOP);
  });

  it('gives any other origin no CORS headers, and its preflight the 404 of a route that is not there', async () => {
    for (const origin of ['https://evil.example', 'https://shop.example:8443', 'http://shop.example', 'null']) {
      const refused = await injectCall(world.app, 'OPTIONS', path, {
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expectProblem(refused, 404, 'not_found');
      expect(refused.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(refused.headers.get('access-control-allow-methods'), origin).toBeNull();
      const written = await world.app.inject(write(origin));
      expect(written.statusCode, origin).toBe(202);
      expect(corsHeaders(written), origin).toEqual({});
    }
  });

  it('adds nothing to a request that names no origin (not a browser’s cross-origin call)', async () => {
    expect(corsHeaders(await world.app.inject(write(undefined)))).toEqual({});
    expect((await world.app.inject(preflight(undefined))).statusCode).toBe(404);
  });
});

describe('CORS under rate limits', () => {
  // one request a second per client address, and every preflight comes without a key
  const world = gatewayWith([SHOP], { perAddressPerSecond: 1 });

  it('never limits a preflight, and lets the page read a 429 and its Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await world.app.inject(preflight(SHOP))).statusCode).toBe(204);
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(
        await world.app.inject({ method: 'GET', url: '/v1/polls/poll-1/results', headers: { origin: SHOP } }),
      );
    const limited = answers.find((answer) => answer.statusCode === 429);
    expect(limited, 'one request a second from this address').toBeDefined();
    expect(limited!.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited!.headers['access-control-allow-origin']).toBe(SHOP);
    expect(limited!.headers['access-control-expose-headers']).toBe('retry-after');
    // and the preflights go on being answered
    expect((await world.app.inject(preflight(SHOP))).statusCode).toBe(204);
  });
});

describe('CORS for any origin ("*")', () => {
  const world = gatewayWith('*');

  it('answers every origin’s preflight with "*", and lets its page read the answers', async () => {
    const response = await world.app.inject(preflight('https://anyone.example'));
    expect(response.statusCode).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers['access-control-max-age']).toBe('600');
    const written = await world.app.inject(write('http://localhost:3000'));
    expect(written.statusCode).toBe(202);
    expect(written.headers['access-control-allow-origin']).toBe('*');
    expect(written.headers['access-control-expose-headers']).toBe('retry-after');
    expect(written.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('without CORS_ORIGINS', () => {
  for (const [what, corsOrigins] of [
    ['unset', undefined],
    ['empty', []],
  ] as const) {
    describe(what, () => {
      const world = gatewayWith(corsOrigins);

      it('adds no CORS header and answers no preflight, as before', async () => {
        const refused = await injectCall(world.app, 'OPTIONS', path, {
          headers: { origin: SHOP, 'access-control-request-method': 'POST' },
        });
        expectProblem(refused, 404, 'not_found');
        const response = await world.app.inject(write(SHOP));
        expect(response.statusCode).toBe(202);
        expect(corsHeaders(response)).toEqual({});
        expect(response.headers.vary ?? '').not.toMatch(/origin/i);
      });
    });
  }
});
