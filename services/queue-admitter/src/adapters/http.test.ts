import { describe, expect, it } from 'vitest';
import { ticketFor, listedProblem } from '@tally/contracts';
import { createLogger, opsApp } from '@tally/observability';
import type { AdmissionTokens } from '../domain/admission-token.js';
import { queueRoutes } from './http.js';
import type { QueueStore } from './postgres-queues.js';
import type { QueueProjection } from './redis-queues.js';

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
