/**
 * Who may open the console's event stream, through app.inject and no servers: a key with console:read (401/403 as
 * on any route), a wallet on it only with wallets:read for that user, and at most CONSOLE_STREAMS_PER_KEY streams
 * open per key (429, freed when one closes). The owners it reads are unreachable here; the stream opens anyway.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@tally/observability';
import { nowhere, unitGateway } from '../../test-support/unit-gateway.js';
import { ConsoleHub } from './console-hub.js';

const secrets = {
  operator: 'console-operator-key-0123456789',
  other: 'console-other-key-0123456789',
  acme: 'console-acme-key-0123456789',
  writer: 'console-writer-key-0123456789',
};
const keys = [
  { key: secrets.operator, name: 'operator', scopes: ['console:read'] },
  { key: secrets.other, name: 'other', scopes: ['console:read', 'wallets:read'] },
  { key: secrets.acme, name: 'acme', scopes: ['console:read', 'wallets:read'], users: ['acme:*'] },
  { key: secrets.writer, name: 'writer', scopes: ['viewers:write', 'wallets:read'] },
];
const STREAMS_PER_KEY = 2;

const hub = new ConsoleHub({
  counterMaterializer: { name: 'counter-materializer', ...nowhere },
  queueAdmitter: { name: 'queue-admitter', ...nowhere },
  readLag: async () => [],
  logger: createLogger('test', 'silent'),
});

const gateway = () => unitGateway(keys, {}, { console: { hub, streamsPerKey: STREAMS_PER_KEY } });

let app: FastifyInstance;
beforeAll(async () => {
  app = await gateway();
});
afterAll(async () => {
  await app.close();
  hub.close();
});

const as = (secret?: string): Record<string, string> =>
  secret === undefined ? {} : { authorization: `Bearer ${secret}` };
const events = (query: string, secret?: string) =>
  app.inject({ method: 'GET', url: `/console/events?${query}`, headers: as(secret) });

/** Opens a stream that stays open: the answer comes with its headers; `close` is the page going away. */
async function openStream(secret: string, query = '') {
  const answer = await app.inject({
    method: 'GET',
    url: `/console/events?${query}`,
    headers: as(secret),
    payloadAsStream: true,
  });
  const request = (answer.raw.res as ServerResponse).req;
  return { answer, close: () => request.destroy() };
}

/** The first chunk of an open stream (the `retry` line), proving it is an event stream and not an error. */
async function firstChunk(answer: LightMyRequestResponse): Promise<string> {
  for await (const chunk of answer.stream()) return String(chunk);
  return '';
}

/** Until a closed stream's place is free: the close event comes on a later tick. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('the console event stream', () => {
  it('needs a key (401 in the API error shape, with WWW-Authenticate), a valid one, with console:read (403)', async () => {
    const anonymous = await events('');
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({
      error: 'unauthorized',
      message: 'this route needs an API key: send "Authorization: Bearer <key>"',
      details: [],
    });
    expect(anonymous.headers['www-authenticate']).toBe('Bearer');
    expect((await events('', 'not-a-key-0123456789')).json()).toMatchObject({
      error: 'unauthorized',
      message: 'the API key is not valid',
    });
    const writer = await events('', secrets.writer);
    expect(writer.statusCode).toBe(403);
    expect(writer.json()).toEqual({
      error: 'forbidden',
      message: 'the API key "writer" lacks the scope console:read',
      details: [],
    });
    // before the query is judged: a stranger learns nothing from it
    expect((await events('window=2h')).statusCode).toBe(401);
    expect((await events('window=2h', secrets.operator)).json()).toMatchObject({ error: 'invalid_request' });
  });

  it('opens with console:read: an event stream that starts with its reconnect delay', async () => {
    const stream = await openStream(secrets.operator, 'queue=q1&poll=p1');
    expect(stream.answer.statusCode).toBe(200);
    expect(stream.answer.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(await firstChunk(stream.answer)).toBe('retry: 1000\n\n');
    stream.close();
    await settled();
  });

  it('shows a wallet only to a key that may read it: wallets:read serving that user, else 403 naming the field', async () => {
    const unscoped = await events('wallet=acme:1', secrets.operator);
    expect(unscoped.statusCode).toBe(403);
    expect(unscoped.json()).toEqual({
      error: 'forbidden',
      message:
        'a wallet on the console needs a key that may read it: the API key "operator" lacks the scope wallets:read',
      details: [{ field: 'querystring.wallet', message: 'the API key "operator" lacks the scope wallets:read' }],
    });
    const elsewhere = await events('wallet=globex:1', secrets.acme);
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json()).toMatchObject({
      error: 'forbidden',
      details: [{ field: 'querystring.wallet', message: 'the API key "acme" does not serve user globex:1' }],
    });
    for (const [secret, query] of [
      [secrets.acme, 'wallet=acme:1'],
      [secrets.other, 'wallet=globex:1'],
      [secrets.operator, 'queue=q1'],
    ] as const) {
      const stream = await openStream(secret, query);
      expect(stream.answer.statusCode, query).toBe(200);
      stream.close();
    }
    await settled();
  });

  it(`holds at most ${STREAMS_PER_KEY} streams open per key: one more is 429 with Retry-After, and closing one frees its place`, async () => {
    const open = [await openStream(secrets.operator), await openStream(secrets.operator)];
    expect(open.map((s) => s.answer.statusCode)).toEqual([200, 200]);
    const refused = await events('', secrets.operator);
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      error: 'rate_limited',
      message: `the API key "operator" already has ${STREAMS_PER_KEY} console streams open (at most ${STREAMS_PER_KEY}); close one and retry in 5 s`,
      details: [],
    });
    expect(refused.headers['retry-after']).toBe('5');
    // another key has places of its own
    const another = await openStream(secrets.other);
    expect(another.answer.statusCode).toBe(200);

    open[0]!.close();
    await settled();
    const again = await openStream(secrets.operator);
    expect(again.answer.statusCode).toBe(200);
    expect((await events('', secrets.operator)).statusCode).toBe(429);
    for (const stream of [open[1]!, another, again]) stream.close();
    await settled();
    const all = [await openStream(secrets.operator), await openStream(secrets.operator)];
    expect(all.map((s) => s.answer.statusCode)).toEqual([200, 200]);
    for (const stream of all) stream.close();
    await settled();
  });

  it('leaves the page itself public: it holds no data, and asks for a key before showing any', async () => {
    const page = await app.inject({ method: 'GET', url: '/console/' });
    // 503 when the page is not built (pnpm build:console); never a refusal
    expect([200, 503]).toContain(page.statusCode);
    expect((await app.inject({ method: 'GET', url: '/console' })).statusCode).toBe(302);
  });
});
