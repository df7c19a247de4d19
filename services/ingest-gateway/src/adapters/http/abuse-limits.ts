import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from '../../domain/api-error.js';
import type { ApiKeyring } from '../../domain/api-keys.js';
import { presentedBy } from './auth.js';
import { HttpProblem } from './problems.js';

export interface RateLimits {
  /** Requests per second one API key may make, from any number of addresses. */
  perKeyPerSecond: number;
  /** Requests per second one client address may make without a valid key: public reads, ticket reads, refused keys. */
  perAddressPerSecond: number;
  /** Routes never limited: probes and scrapes must answer however busy the API is. */
  unlimitedUrls: ReadonlySet<string>;
}

/**
 * Rate limits on every route, before anything else runs (so before a key is even checked, and a flood of
 * guessed keys or ticket ids is limited as well): a request with a valid key counts against its key, any
 * other against its client address. Over the limit: 429 with Retry-After, in the API's error shape.
 */
export async function installRateLimits(app: FastifyInstance, keyring: ApiKeyring, limits: RateLimits): Promise<void> {
  await app.register(rateLimit, { global: false });
  const limited = (keyGenerator: (request: FastifyRequest) => string, max: number) =>
    app.createRateLimit({ max, timeWindow: 1000, keyGenerator });
  const keyName = (request: FastifyRequest) => {
    const presented = presentedBy(request, keyring);
    return presented.bearer ? presented.caller?.name : undefined;
  };
  const byKey = limited((request) => `key:${keyName(request)!}`, limits.perKeyPerSecond);
  const byAddress = limited((request) => `address:${request.ip}`, limits.perAddressPerSecond);
  app.addHook('onRequest', async (request) => {
    if (limits.unlimitedUrls.has(request.routeOptions.url ?? '')) return;
    const keyed = keyName(request) !== undefined;
    const verdict = await (keyed ? byKey : byAddress)(request);
    if (verdict.isAllowed || !verdict.isExceeded) return;
    const seconds = Math.max(1, verdict.ttlInSeconds);
    const whose = keyed ? 'this API key' : 'this client address';
    throw new HttpProblem(
      429,
      apiError(
        'rate_limited',
        `too many requests from ${whose} (at most ${verdict.max} a second); retry in ${seconds} s`,
      ),
      { 'retry-after': String(seconds) },
    );
  });
}

/**
 * At most `max` open connections per client address: one more is answered 429 and closed at once, so idle or
 * slow connections from one place cannot hold every socket the gateway has.
 */
export function capConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
    if (count > max) {
      const body = JSON.stringify(
        apiError(
          'rate_limited',
          `too many open connections from this client address (at most ${max}); close some and retry`,
        ),
      );
      socket.on('error', () => socket.destroy());
      socket.end(
        `HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nRetry-After: 1\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
  });
}
