import { describe, expect, it } from 'vitest';
import { ticketFor, listedProblem } from '@tally/contracts';
import { createLogger, opsApp } from '@tally/observability';
import type { AdmissionTokens } from '../domain/admission-token.js';
import { DEFAULT_SETTINGS, type QueueSettings } from '../domain/outflow.js';
import type { Ticket } from '../domain/tickets.js';
import { queueRoutes } from './http.js';
import type { QueueStore } from './postgres-queues.js';
import type { LiveTicketView, QueueLine, QueueProjection } from './redis-queues.js';

const ticketId = ticketFor('unit-test-ticket-key-0123456789abcdef', 'q', { source: 's', seq: 1 }).ticketId;

/** The routes on a server that never listens (answered through inject): Redis is rebuilding, Postgres is empty. */
async function queueApp(failing = false) {
  const store = {
    ticket: async () => undefined,
    queue: failing ? () => Promise.reject(new Error('postgres is down')) : async () => undefined,
  } as unknown as QueueStore;
  const projection = { partitionsNotReady: async () => [0] } as unknown as QueueProjection;
  const tokens = {
    jwks: { keys: [] },
    verify: async () => ({ valid: false, reason: 'bad_signature' }),
  } as unknown as AdmissionTokens;
  const app = opsApp(createLogger('test', 'silent'));
  queueRoutes({ store, projection, partitions: [0], tokens, now: () => 42, roundMs: 200 })(app);
  await app.ready();
  return app;
}

const verify = (body: string, contentType = 'application/json') => ({
  method: 'POST' as const,
  url: '/v1/queues/q/admissions/verify',
  headers: { 'content-type': contentType },
  payload: body,
});

describe("queue-admitter's reads", () => {
  it('refuse bad ids and tokens with invalid_request, naming each field', async () => {
    const app = await queueApp();
    for (const [request, field] of [
      ['/v1/queues/a%20b', 'params.queueId'],
      ['/v1/queues/q/tickets/not-a-ticket', 'params.ticketId'],
      [verify('{"token": "a", "extra": 1}'), 'body.extra'],
      [verify('{"token": "a b"}'), 'body.token'],
    ] as const) {
      const body = listedProblem(await app.inject(request));
      expect(body.error).toBe('invalid_request');
      expect(body.details).toEqual([{ field, message: expect.any(String) }]);
    }
  });

  it('refuse a verify body that is not JSON in the same shape', async () => {
    const app = await queueApp();
    expect(listedProblem(await app.inject(verify('{'))).error).toBe('invalid_request');
    expect(listedProblem(await app.inject(verify('<token>a</token>', 'application/xml'))).error).toBe(
      'unsupported_media_type',
    );
  });

  it('answer not_found for a ticket or queue they do not know, unavailable when the store fails', async () => {
    const app = await queueApp();
    expect(listedProblem(await app.inject(`/v1/queues/q/tickets/${ticketId}`)).error).toBe('not_found');
    expect(listedProblem(await app.inject('/v1/queues/q')).error).toBe('not_found');
    const failing = await queueApp(true);
    expect(listedProblem(await failing.inject('/v1/queues/q')).error).toBe('unavailable');
  });
});

const NOW = 1_700_000_000_000;

/** A line of `settings` with nobody active: a ticket's wait is its turns of activeSeconds, plus a round each. */
const lineOf = (settings: Partial<QueueSettings>): QueueLine => ({
  settings: { ...DEFAULT_SETTINGS, ...settings },
  settingsVersion: 1,
  observedHoldMs: null,
  waiting: 500,
  active: 0,
  admittedTotal: 0,
  admittedLastMinute: 0,
  slotExpiresAtMs: null,
});

const JWKS = {
  keys: [
    { kty: 'EC', crv: 'P-256', x: 'x-of-the-key', y: 'y-of-the-key', kid: 'rotated-1', alg: 'ES256', use: 'sig' },
    {
      kty: 'EC',
      crv: 'P-256',
      x: 'x-of-another',
      y: 'y-of-another',
      kid: 'tally-development',
      alg: 'ES256',
      use: 'sig',
    },
  ],
};

/**
 * The reads with Redis whole, answering `live` and `line`; or, without either, Redis rebuilding and Postgres
 * answering `stored`. A token is valid while its ticket is `ticketStatus`.
 */
async function readsApp(
  reads: {
    live?: LiveTicketView;
    line?: QueueLine;
    stored?: { ticket: Ticket; position: number; waitingTotal: number };
    ticketStatus?: Ticket['status'];
  } = {},
) {
  const store = {
    ticket: async () => reads.stored,
    queue: async () => undefined,
    ticketStatus: async () => reads.ticketStatus ?? 'active',
  } as unknown as QueueStore;
  const projection = {
    partitionsNotReady: async () => (reads.live || reads.line ? [] : [0]),
    ticket: async () => reads.live,
    queue: async () => reads.line,
  } as unknown as QueueProjection;
  const tokens = {
    jwks: JWKS,
    sign: async () => 'header.payload.signature',
    verify: async (token: string) =>
      token === 'header.payload.signature'
        ? { valid: true, claims: { queueId: 'q', ticketId, userId: 'fan', expiresAtMs: NOW + 179_000 } }
        : { valid: false, reason: 'bad_signature' },
  } as unknown as AdmissionTokens;
  const app = opsApp(createLogger('test', 'silent'));
  queueRoutes({ store, projection, partitions: [0], tokens, now: () => NOW, roundMs: 200 })(app);
  await app.ready();
  return app;
}

/** The ticket route with Redis whole, answering `live`; or, with `stored`, Redis rebuilding and Postgres answering. */
const ticketApp = (live: LiveTicketView | undefined, stored?: Ticket) =>
  readsApp({ live, stored: stored && { ticket: stored, position: 0, waitingTotal: 0 } });

const live = (more: Partial<LiveTicketView>): LiveTicketView => ({
  ticketId,
  userId: 'fan',
  status: 'waiting',
  admittedAtMs: null,
  expiresAtMs: null,
  position: 250,
  waitingTotal: 500,
  line: lineOf({}),
  ...more,
});

const readTicket = async (app: Awaited<ReturnType<typeof ticketApp>>) => {
  const answer = await app.inject(`/v1/queues/q/tickets/${ticketId}`);
  expect(answer.statusCode).toBe(200);
  return answer.json();
};

describe("queue-admitter's ticket answer", () => {
  it('a waiting ticket: its place, its wait, and a tenth of it to the next read, within a third of abandonSeconds', async () => {
    // 250 ahead, 100 at a time for 180 s each: two full turns, then the round that admits it
    const app = await ticketApp(live({ line: lineOf({ abandonSeconds: 60 }) }));
    expect(await readTicket(app)).toEqual({
      ticketId,
      status: 'waiting',
      position: 250,
      waitingTotal: 500,
      estimatedWaitSeconds: 361,
      pollAfterSeconds: 20,
    });
    const longer = await ticketApp(live({}));
    expect(await readTicket(longer)).toMatchObject({ estimatedWaitSeconds: 361, pollAfterSeconds: 30 });
  });

  it('a ticket in the pre-queue: no place shown, the opening, and a read at the latest when it opens', async () => {
    const app = await ticketApp(live({ line: lineOf({ opensAtMs: NOW + 12_500 }) }));
    expect(await readTicket(app)).toEqual({
      ticketId,
      status: 'waiting',
      position: null,
      waitingTotal: 500,
      estimatedWaitSeconds: expect.any(Number),
      pollAfterSeconds: 13,
      opensAt: NOW + 12_500,
    });
  });

  it('an active ticket: its token and expiry, and no need to read it again', async () => {
    const app = await ticketApp(live({ status: 'active', admittedAtMs: NOW - 1000, expiresAtMs: NOW + 179_000 }));
    expect(await readTicket(app)).toEqual({
      ticketId,
      status: 'active',
      position: 0,
      waitingTotal: 500,
      estimatedWaitSeconds: 0,
      pollAfterSeconds: null,
      admissionToken: 'header.payload.signature',
      expiresAt: NOW + 179_000,
    });
  });

  it('an ended ticket, read from Postgres while Redis rebuilds: nothing more to wait for', async () => {
    const completed: Ticket = {
      ticketId,
      userId: 'fan',
      status: 'completed',
      joinOrder: 3,
      admittedAtMs: NOW - 60_000,
      expiresAtMs: NOW + 120_000,
    };
    expect(await readTicket(await ticketApp(undefined, completed))).toEqual({
      ticketId,
      status: 'completed',
      position: 0,
      waitingTotal: 0,
      estimatedWaitSeconds: 0,
      pollAfterSeconds: null,
    });
  });

  it('a waiting ticket whose queue was not read: no estimate, and another read soon', async () => {
    const waiting: Ticket = {
      ticketId,
      userId: 'fan',
      status: 'waiting',
      joinOrder: 4,
      admittedAtMs: null,
      expiresAtMs: null,
    };
    const app = await readsApp({ stored: { ticket: waiting, position: 3, waitingTotal: 9 } });
    expect(await readTicket(app)).toEqual({
      ticketId,
      status: 'waiting',
      position: 3,
      waitingTotal: 9,
      estimatedWaitSeconds: null,
      pollAfterSeconds: 2,
    });
  });
});

// the gateway documents these answers, and the ticket's above (ingest-gateway: read-answers.test.ts): change both together
describe("queue-admitter's other answers", () => {
  it('a queue: its line, its settings, its outflow and the wait of a newcomer', async () => {
    // all 100 slots taken, the one a newcomer gets free in a minute: then five more turns of 180 s, a round each
    const line: QueueLine = { ...lineOf({}), active: 100, admittedTotal: 1200, slotExpiresAtMs: NOW + 60_000 };
    const answer = await (await readsApp({ line })).inject('/v1/queues/q');
    expect(answer.json()).toEqual({
      queueId: 'q',
      waiting: 500,
      active: 100,
      capacity: 100,
      admittedTotal: 1200,
      state: 'open',
      activeSeconds: 180,
      admitPerMinute: null,
      opensAt: null,
      abandonSeconds: null,
      paused: false,
      settingsVersion: 1,
      outflowPerMinute: 33.3,
      newcomerWaitSeconds: 962,
    });
  });

  it('a token checked: valid with whose it is, or refused with why', async () => {
    const check = async (token: string, ticketStatus?: Ticket['status']) =>
      (
        await (
          await readsApp({ ticketStatus })
        ).inject({
          method: 'POST',
          url: '/v1/queues/q/admissions/verify',
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify({ token }),
        })
      ).json();
    expect(await check('header.payload.signature')).toEqual({
      valid: true,
      ticketId,
      userId: 'fan',
      expiresAt: NOW + 179_000,
    });
    expect(await check('header.payload.signature', 'completed')).toEqual({ valid: false, reason: 'ended' });
    expect(await check('header.payload.forged')).toEqual({ valid: false, reason: 'bad_signature' });
  });

  it('the public keys, as a JWK Set', async () => {
    const answer = await (await readsApp()).inject('/.well-known/jwks.json');
    expect(answer.json()).toEqual(JWKS);
    expect(answer.headers['cache-control']).toBe('public, max-age=300');
  });
});
