/**
 * Who may call what, through app.inject and no servers: private reads need their read scope and a key that
 * serves the user or queue; a ticket is read with its own secret; every route is rate limited.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketFor } from '../../domain/queue.js';
import type { GatewayLimits } from './gateway.js';
import { UNIT_TICKET_KEY, unitGateway } from '../../test-support/unit-gateway.js';

const secrets = {
  all: 'all-scopes-key-0123456789',
  acme: 'acme-tenant-key-0123456789',
  writer: 'viewers-writer-key-0123456789',
};
const keys = [
  {
    key: secrets.all,
    name: 'all',
    scopes: ['wallets:read', 'wallets:write', 'queues:read', 'queues:write', 'viewers:write'],
  },
  {
    key: secrets.acme,
    name: 'acme',
    scopes: ['wallets:read', 'wallets:write', 'queues:read', 'queues:write'],
    users: ['acme:*'],
    queues: ['acme-sale'],
  },
  { key: secrets.writer, name: 'writer', scopes: ['viewers:write'] },
];
const gateway = (limits: Partial<GatewayLimits> = {}) => unitGateway(keys, limits);

const as = (secret?: string): Record<string, string> =>
  secret === undefined ? {} : { authorization: `Bearer ${secret}` };

describe('private reads', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await gateway();
  });
  afterAll(async () => app.close());

  const get = async (url: string, secret?: string) => app.inject({ method: 'GET', url, headers: as(secret) });

  it('refuse a wallet without a key (401), with a key lacking wallets:read or serving other users (403)', async () => {
    for (const url of [
      '/v1/wallets/acme:1',
      '/v1/wallets/acme:1/transactions',
      '/v1/wallets/acme:1/transactions/app:1',
      '/v1/wallets/acme:1/holds/app:1',
    ]) {
      const anonymous = await get(url);
      expect(anonymous.statusCode, url).toBe(401);
      expect(anonymous.json()).toMatchObject({ error: 'unauthorized' });
      expect(anonymous.headers['www-authenticate']).toBe('Bearer');
      expect((await get(url, 'not-a-key-0123456789')).statusCode, url).toBe(401);
      expect((await get(url, secrets.writer)).json(), url).toMatchObject({
        error: 'forbidden',
        message: 'the API key "writer" lacks the scope wallets:read',
      });
      expect((await get(url.replace('acme:1', 'globex:1'), secrets.acme)).statusCode, url).toBe(403);
      // let through: routed to the (unreachable) ledger
      expect((await get(url, secrets.acme)).statusCode, url).toBe(503);
      expect((await get(url, secrets.all)).statusCode, url).toBe(503);
    }
  });

  it('refuse a wallet write for a user the key does not serve, in the path or in a grant', async () => {
    const credit = { source: 'app', seq: 1, type: 'credit', asset: 'points', amount: '1.00' };
    const write = (url: string, body: object) =>
      app.inject({
        method: 'POST',
        url,
        headers: { ...as(secrets.acme), 'content-type': 'application/json' },
        payload: body,
      });
    expect((await write('/v1/wallets/globex:1/transactions', credit)).statusCode).toBe(403);
    expect((await write('/v1/wallets/acme:1/transactions', credit)).statusCode).toBe(202);
    const grant = { source: 'app', seq: 2, asset: 'points', amount: '1.00', userIds: ['acme:1', 'globex:2'] };
    expect((await write('/v1/wallets/grants', grant)).json()).toMatchObject({
      error: 'forbidden',
      message: 'the API key "acme" does not serve user globex:2',
    });
    expect((await write('/v1/wallets/grants', { ...grant, userIds: ['acme:1', 'acme:2'] })).statusCode).toBe(202);
  });

  it('refuse a transfer, a group or a hold naming any user the key does not serve, the receiver and payee too', async () => {
    const write = (url: string, body: object) =>
      app.inject({
        method: 'POST',
        url,
        headers: { ...as(secrets.acme), 'content-type': 'application/json' },
        payload: body,
      });
    const refused = (user: string) => ({
      error: 'forbidden',
      message: `the API key "acme" does not serve user ${user}`,
    });
    const transfer = { source: 'app', seq: 3, from: 'acme:1', to: 'globex:2', asset: 'points', amount: '1.00' };
    expect((await write('/v1/transfers', transfer)).json()).toMatchObject(refused('globex:2'));
    expect((await write('/v1/transfers', { ...transfer, from: 'globex:2', to: 'acme:1' })).statusCode).toBe(403);
    expect((await write('/v1/transfers', { ...transfer, to: 'acme:2' })).statusCode).toBe(202);
    const member = { type: 'credit', userId: 'acme:1', asset: 'points', amount: '1.00' };
    const group = (...members: object[]) => ({ source: 'app', seq: 4, members });
    expect((await write('/v1/wallets/groups', group(member, { ...member, userId: 'globex:3' }))).json()).toMatchObject(
      refused('globex:3'),
    );
    const paying = { type: 'transfer', from: 'acme:1', to: 'globex:4', asset: 'points', amount: '1.00' };
    expect((await write('/v1/wallets/groups', group(member, paying))).json()).toMatchObject(refused('globex:4'));
    expect((await write('/v1/wallets/groups', group(member, { ...paying, to: 'acme:4' }))).statusCode).toBe(202);
    const hold = { source: 'app', seq: 5, asset: 'points', amount: '1.00', timeoutSeconds: 60 };
    expect((await write('/v1/wallets/acme:1/holds', { ...hold, to: 'globex:5' })).json()).toMatchObject(
      refused('globex:5'),
    );
    expect((await write('/v1/wallets/globex:5/holds', hold)).statusCode).toBe(403);
    expect((await write('/v1/wallets/acme:1/holds', { ...hold, to: 'acme:5' })).statusCode).toBe(202);
    for (const step of ['capture', 'release'])
      expect((await write(`/v1/wallets/globex:5/holds/app:5/${step}`, { source: 'app', seq: 6 })).statusCode).toBe(403);
    expect((await write('/v1/wallets/acme:1/holds/app:5/release', { source: 'app', seq: 6 })).statusCode).toBe(202);
  });

  it('read a ticket with its own secret or a queues:read key for its queue, and with nothing else', async () => {
    const joined = await app.inject({
      method: 'POST',
      url: '/v1/queues/acme-sale/tickets',
      headers: { ...as(secrets.acme), 'content-type': 'application/json' },
      payload: { source: 'app', seq: 1, userId: 'acme:1' },
    });
    expect(joined.statusCode).toBe(202);
    const { ticketId, ticketSecret } = joined.json<{ ticketId: string; ticketSecret: string }>();
    expect({ ticketId, ticketSecret }).toEqual(ticketFor(UNIT_TICKET_KEY, 'acme-sale', { source: 'app', seq: 1 }));
    const url = `/v1/queues/acme-sale/tickets/${ticketId}`;
    expect((await get(url)).statusCode).toBe(401);
    expect((await get(url, ticketSecret)).statusCode).toBe(503);
    expect((await get(url, secrets.acme)).statusCode).toBe(503);
    expect((await get(url, secrets.writer)).statusCode).toBe(403);
    const other = ticketFor(UNIT_TICKET_KEY, 'acme-sale', { source: 'app', seq: 2 });
    expect((await get(url, other.ticketSecret)).json()).toMatchObject({
      error: 'forbidden',
      message: 'the ticket secret is not the secret of this ticket',
    });
    expect((await get(`/v1/queues/other-sale/tickets/${ticketId}`, ticketSecret)).statusCode).toBe(403);
    expect((await get(`/v1/queues/other-sale/tickets/${ticketId}`, secrets.acme)).statusCode).toBe(403);
  });

  it('leave public aggregates open', async () => {
    for (const url of [
      '/v1/queues/acme-sale',
      '/v1/streams/s/viewers',
      '/v1/items/i/counts',
      '/v1/rankings/likes',
      '/v1/polls/p/results',
      '/.well-known/jwks.json',
    ]) {
      expect((await get(url)).statusCode, url).toBe(503);
    }
  });

  it('document who may call what in the OpenAPI document', async () => {
    const doc = (await get('/docs/json')).json<{
      components: { securitySchemes: object };
      paths: Record<string, Record<string, { security?: unknown }>>;
    }>();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['bearerAuth', 'ticketSecret']);
    expect(doc.paths['/v1/wallets/{userId}']!.get!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/v1/queues/{queueId}/tickets/{ticketId}']!.get!.security).toEqual([
      { ticketSecret: [] },
      { bearerAuth: [] },
    ]);
    expect(doc.paths['/v1/queues/{queueId}']!.get!.security).toBeUndefined();
  });
});

describe('rate limits', () => {
  it('limit requests without a valid key per address, and with one per key, answering 429 with Retry-After', async () => {
    const app = await gateway({ perKeyPerSecond: 5, perAddressPerSecond: 3 });
    try {
      const statuses = async (count: number, headers: Record<string, string>, url = '/v1/queues/q') => {
        const answers = [];
        for (let i = 0; i < count; i++) answers.push(await app.inject({ method: 'GET', url, headers }));
        return answers;
      };
      const anonymous = await statuses(5, {});
      expect(anonymous.map((a) => a.statusCode)).toEqual([503, 503, 503, 429, 429]);
      expect(anonymous[3]!.json()).toMatchObject({ error: 'rate_limited' });
      expect(Number(anonymous[3]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // a guessed key counts against the address too: brute force is limited like any anonymous flood
      expect((await statuses(1, as('guessed-key-0123456789'), '/v1/wallets/u')).map((a) => a.statusCode)).toEqual([
        429,
      ]);
      // a valid key has its own budget
      expect((await statuses(6, as(secrets.all))).map((a) => a.statusCode)).toEqual([503, 503, 503, 503, 503, 429]);
      // probes are never limited
      expect((await statuses(5, {}, '/healthz')).map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    } finally {
      await app.close();
    }
  });
});
