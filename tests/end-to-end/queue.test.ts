/**
 * The waiting queue end to end, as deployed: ingest-gateway and queue-admitter as their own processes; clients
 * join, poll their place with their ticket's secret and get admitted through the gateway only, and a booking
 * service checks the token, by asking or offline against the published keys.
 */
import { createHash } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTopicsWithSchemas,
  freePort,
  stackEnvironment,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@tally/testkit';
import { TOPICS } from '@tally/contracts';

const stack = inject('stack');
const run = uniqueName('e2e-queue');
const topics = {
  commands: `test.${run}.queue-commands`,
  events: `test.${run}.queue-events`,
  deadLetters: `test.${run}.dead-letters`,
};
const apiKey = { key: 'e2e-queue-key-0123456789abcdef', name: 'e2e-queue', scopes: ['queues:write', 'queues:admin'] };
const readerKey = { key: 'e2e-queue-reader-key-0123456789abcdef', name: 'e2e-queue-reader', scopes: ['queues:read'] };
const running: ServiceProcess[] = [];
let gateway: ServiceProcess;

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.commands, partitions: 4, schema: TOPICS.queueCommands.valueSchema },
    { name: topics.events, partitions: 2, schema: TOPICS.queueEvents.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  ]);
  const admitterPort = await freePort();
  running.push(
    await startServiceProcess('queue-admitter', {
      ...stackEnvironment(stack),
      PORT: String(admitterPort),
      CONSUMER_GROUP: `${run}-admitter`,
      QUEUE_COMMANDS_TOPIC: topics.commands,
      QUEUE_EVENTS_TOPIC: topics.events,
      DLQ_TOPIC: topics.deadLetters,
      REDIS_PREFIX: `test:${run}`,
      DB_SCHEMA: run.replace(/[^a-z0-9]/g, '_'),
      ADMISSION_TICK_MS: '50',
    }),
  );
  gateway = await startServiceProcess('ingest-gateway', {
    ...stackEnvironment(stack),
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey, readerKey]),
    QUEUE_COMMANDS_TOPIC: topics.commands,
    QUEUE_ADMITTER_URL: `http://127.0.0.1:${admitterPort}`,
  });
  running.push(gateway);
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop('SIGTERM')));
});

/** A request showing `credential` (the writer's key unless told otherwise; null: none). */
async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  credential: string | null = apiKey.key,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...(credential === null ? {} : { authorization: `Bearer ${credential}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface TicketView {
  ticketId: string;
  status: string;
  position: number | null;
  estimatedWaitSeconds: number | null;
  admissionToken?: string;
  opensAt?: number;
}

describe('the waiting queue through the gateway', () => {
  it('configure, join, poll the place in line, get admitted, verify the token, complete', async () => {
    expect((await call('PUT', '/v1/queues/concert', { capacity: 2, activeSeconds: 120 })).status).toBe(202);
    const tickets: string[] = [];
    const secrets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const joined = await call<{ ticketId: string; ticketSecret: string }>('POST', '/v1/queues/concert/tickets', {
        source: `fan-app-${i}`,
        seq: 1,
        userId: `fan-${i}`,
      });
      expect(joined.status).toBe(202);
      tickets.push(joined.body.ticketId);
      secrets.push(joined.body.ticketSecret);
    }
    // each fan polls with its own ticket's secret, and nothing more
    const poll = (i: number) =>
      call<TicketView>('GET', `/v1/queues/concert/tickets/${tickets[i]}`, undefined, secrets[i]!);
    await expect.poll(async () => (await poll(1)).body.status, { timeout: 20_000 }).toBe('active');
    expect((await poll(2)).body).toMatchObject({ status: 'waiting', position: 0 });
    expect((await poll(4)).body).toMatchObject({ status: 'waiting', position: 2 });
    expect((await call('GET', '/v1/queues/concert')).body).toMatchObject({
      waiting: 3,
      active: 2,
      capacity: 2,
      admittedTotal: 2,
    });

    const token = (await poll(0)).body.admissionToken!;
    expect((await call('POST', '/v1/queues/concert/admissions/verify', { token })).body).toMatchObject({
      valid: true,
      ticketId: tickets[0],
      userId: 'fan-0',
    });
    expect((await call('POST', `/v1/queues/concert/tickets/${tickets[0]}/complete`)).status).toBe(202);
    await expect.poll(async () => (await poll(2)).body.status, { timeout: 20_000 }).toBe('active');
    expect((await poll(4)).body).toMatchObject({ status: 'waiting', position: 1 });
    expect((await call('POST', '/v1/queues/concert/admissions/verify', { token })).body).toMatchObject({
      valid: false,
    });
  });

  it("keeps a ticket to its holder: no credential, another ticket's secret, a key without queues:read are refused, and a ticket id computed from the join finds nothing", async () => {
    const joined = await call<{ ticketId: string; ticketSecret: string }>('POST', '/v1/queues/private/tickets', {
      source: 'victim-app',
      seq: 1,
      userId: 'victim',
    });
    const other = await call<{ ticketSecret: string }>('POST', '/v1/queues/private/tickets', {
      source: 'thief-app',
      seq: 1,
      userId: 'thief',
    });
    const path = `/v1/queues/private/tickets/${joined.body.ticketId}`;
    await expect
      .poll(async () => (await call('GET', path, undefined, joined.body.ticketSecret)).status, { timeout: 20_000 })
      .toBe(200);
    expect((await call('GET', path, undefined, null)).status).toBe(401);
    expect((await call('GET', path, undefined, other.body.ticketSecret)).status).toBe(403);
    expect((await call('GET', path, undefined, apiKey.key)).status).toBe(403);
    expect((await call('GET', path, undefined, readerKey.key)).status).toBe(200);
    // what an attacker computes from (queue, source, seq) without the server's key: the old unkeyed rule
    const digest = createHash('sha256').update('private\u0000victim-app\u00001').digest('hex');
    for (const guess of [`t_${digest.slice(0, 24)}`, `t_${digest.slice(0, 32)}`]) {
      expect((await call('GET', `/v1/queues/private/tickets/${guess}`, undefined, readerKey.key)).status, guess).toBe(
        404,
      );
    }
  });

  it('signs admission tokens a site verifies offline against /.well-known/jwks.json with a standard JWT library', async () => {
    expect((await call('PUT', '/v1/queues/offline', { capacity: 1, activeSeconds: 60 })).status).toBe(202);
    const joined = await call<{ ticketId: string; ticketSecret: string }>('POST', '/v1/queues/offline/tickets', {
      source: 'edge-app',
      seq: 1,
      userId: 'edge-fan',
    });
    const path = `/v1/queues/offline/tickets/${joined.body.ticketId}`;
    await expect
      .poll(async () => (await call<TicketView>('GET', path, undefined, joined.body.ticketSecret)).body.status, {
        timeout: 20_000,
      })
      .toBe('active');
    const token = (await call<TicketView>('GET', path, undefined, joined.body.ticketSecret)).body.admissionToken!;
    const jwks = await call<JSONWebKeySet>('GET', '/.well-known/jwks.json', undefined, null);
    expect(jwks.status).toBe(200);
    const keys = createLocalJWKSet(jwks.body);
    const { payload, protectedHeader } = await jwtVerify(token, keys, { audience: 'offline', algorithms: ['ES256'] });
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: expect.any(String) });
    expect(jwks.body.keys.map((k) => k.kid)).toContain(decodeProtectedHeader(token).kid);
    expect(payload).toMatchObject({ sub: 'edge-fan', aud: 'offline', jti: joined.body.ticketId });
    expect(payload.exp! * 1000).toBeGreaterThan(Date.now());
    // a token for one queue is no token for another, offline or asked
    await expect(jwtVerify(token, keys, { audience: 'concert', algorithms: ['ES256'] })).rejects.toThrow();
    expect((await call('POST', '/v1/queues/concert/admissions/verify', { token }, null)).body).toMatchObject({
      valid: false,
      reason: 'other_queue',
    });
    // a payload changed under the signature (another user) is refused both ways
    const [header, , signature] = token.split('.');
    const forged = [
      header,
      Buffer.from(JSON.stringify({ ...payload, sub: 'thief' })).toString('base64url'),
      signature,
    ].join('.');
    await expect(jwtVerify(forged, keys, { audience: 'offline', algorithms: ['ES256'] })).rejects.toThrow();
    expect((await call('POST', '/v1/queues/offline/admissions/verify', { token: forged }, null)).body).toMatchObject({
      valid: false,
      reason: 'bad_signature',
    });
  });

  it('a waiting room with a pre-queue: the page shows the settings and the state, a ticket shows no drawn place before the opening', async () => {
    const opensAt = Date.now() + 120_000;
    const settings = { capacity: 5, activeSeconds: 60, admitPerMinute: 30, opensAt, abandonSeconds: 600 };
    expect((await call('PUT', '/v1/queues/presale', settings)).status).toBe(202);
    const joined = await call<{ ticketId: string; ticketSecret: string }>('POST', '/v1/queues/presale/tickets', {
      source: 'presale-app',
      seq: 1,
      userId: 'early-fan',
    });
    const path = `/v1/queues/presale/tickets/${joined.body.ticketId}`;
    await expect
      .poll(async () => (await call<TicketView>('GET', path, undefined, joined.body.ticketSecret)).status, {
        timeout: 20_000,
      })
      .toBe(200);
    const ticket = (await call<TicketView>('GET', path, undefined, joined.body.ticketSecret)).body;
    expect(ticket).toMatchObject({ status: 'waiting', position: null, opensAt });
    // a number while it waits: the opening is two minutes away
    expect(ticket.estimatedWaitSeconds).toBeGreaterThanOrEqual(100);
    expect((await call('GET', '/v1/queues/presale', undefined, null)).body).toMatchObject({
      queueId: 'presale',
      waiting: 1,
      active: 0,
      state: 'pre-queue',
      capacity: 5,
      activeSeconds: 60,
      admitPerMinute: 30,
      opensAt,
      abandonSeconds: 600,
      paused: false,
      outflowPerMinute: 5,
      newcomerWaitSeconds: expect.any(Number),
    });
    // settings that break a bound never reach the queue
    const bad = await call<{ error: string }>('PUT', '/v1/queues/presale', { ...settings, admitPerMinute: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid_request');
  });
});
