/**
 * The 200 answers of the public reads, as the OpenAPI document (/docs/json, what the client SDK is generated from)
 * describes them, checked against what each owner answers; and relayed byte for byte all the same, since a read
 * passes the owner's bytes through (routeRead) and its documented schema never reshapes them.
 *
 * An owner's handler cannot be called from here: services meet over HTTP only, never through each other's code
 * (`pnpm deps`: no-service-to-another-service). Each answer below is therefore a copy of what the owner's handler
 * answers: the first of each route as the owner's own unit test (named at each route) asserts it whole, through
 * the handler, so a change of either side fails one of the two tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ticketFor } from '../../domain/queue.js';
import { bearer, json, keys } from '../../test-support/keys.js';
import { UNIT_TICKET_KEY, unitGateway } from '../../test-support/unit-gateway.js';
import { bodyOptions } from './validation.js';

const NOW = 1_700_000_000_000;
const ticketId = ticketFor(UNIT_TICKET_KEY, 'q', { source: 's', seq: 1 }).ticketId;

interface DocumentedRead {
  /** The route as the OpenAPI document names it. */
  method: 'get' | 'post';
  path: string;
  /** A request of it through the gateway. */
  request: { url: string; headers?: Record<string, string>; body?: string };
  /** What the owner answers with 200, each shape it can take. */
  answers: object[];
  /** The fields the owner sends only sometimes. */
  optional?: string[];
  /** The fields the owner may send as null. */
  nullable?: string[];
}

const READS: DocumentedRead[] = [
  {
    // viewer-aggregator: src/adapters/http.ts, asserted whole in src/adapters/http.test.ts
    method: 'get',
    path: '/v1/streams/{streamId}/viewers',
    request: { url: '/v1/streams/s/viewers' },
    answers: [{ streamId: 's', concurrent: 3, windowSeconds: 30, asOf: 42 }],
  },
  {
    // viewer-aggregator: src/adapters/http.ts, asserted whole in src/adapters/http.test.ts
    method: 'get',
    path: '/v1/streams/{streamId}/viewers/history',
    request: { url: '/v1/streams/s/viewers/history?from=0&to=7200000&granularity=hour' },
    answers: [
      {
        streamId: 's',
        granularity: 'hour',
        from: 0,
        to: 7_200_000,
        buckets: [
          { start: '1970-01-01T00:00:00.000Z', peakConcurrent: 3, uniqueViewers: 4, heartbeats: 1440 },
          { start: '1970-01-01T01:00:00.000Z', peakConcurrent: 1, uniqueViewers: 1, heartbeats: 12 },
        ],
      },
      { streamId: 's', granularity: 'minute', from: 0, to: 60_000, buckets: [] },
    ],
  },
  {
    // counter-materializer: src/adapters/http.ts, asserted whole in src/adapters/http.test.ts
    method: 'get',
    path: '/v1/items/{itemId}/counts',
    request: { url: '/v1/items/known/counts' },
    answers: [
      { itemId: 'known', likes: 2, views: 5, uniqueViewers: 3, counters: {}, asOf: 1 },
      { itemId: 'known', likes: 0, views: 5, uniqueViewers: 3, counters: { bookings: 3, shares: 1 }, asOf: 42 },
    ],
  },
  {
    // counter-materializer: src/adapters/http.ts, asserted whole in src/adapters/http.test.ts
    method: 'get',
    path: '/v1/rankings/{metric}',
    request: { url: '/v1/rankings/likes?window=24h&limit=5' },
    answers: [
      [{ itemId: 'known', score: 2, rank: 1 }],
      [
        { itemId: 'a', score: 7, rank: 1 },
        { itemId: 'b', score: 7, rank: 2 },
      ],
      [],
    ],
  },
  {
    // queue-admitter: src/adapters/http.ts (GET ticket), asserted whole in src/adapters/http.test.ts
    method: 'get',
    path: '/v1/queues/{queueId}/tickets/{ticketId}',
    request: { url: `/v1/queues/q/tickets/${ticketId}`, headers: bearer(keys.reader) },
    optional: ['opensAt', 'admissionToken', 'expiresAt'],
    nullable: ['position', 'estimatedWaitSeconds', 'pollAfterSeconds'],
    answers: [
      {
        ticketId,
        status: 'waiting',
        position: 250,
        waitingTotal: 500,
        estimatedWaitSeconds: 361,
        pollAfterSeconds: 20,
      },
      {
        ticketId,
        status: 'waiting',
        position: null,
        waitingTotal: 500,
        estimatedWaitSeconds: 1513,
        pollAfterSeconds: 13,
        opensAt: NOW + 12_500,
      },
      // a waiting ticket whose queue's figures were not read (Postgres, while Redis rebuilds)
      {
        ticketId,
        status: 'waiting',
        position: 3,
        waitingTotal: 9,
        estimatedWaitSeconds: null,
        pollAfterSeconds: 2,
      },
      {
        ticketId,
        status: 'active',
        position: 0,
        waitingTotal: 500,
        estimatedWaitSeconds: 0,
        pollAfterSeconds: null,
        admissionToken: 'header.payload.signature',
        expiresAt: NOW + 179_000,
      },
      {
        ticketId,
        status: 'completed',
        position: 0,
        waitingTotal: 0,
        estimatedWaitSeconds: 0,
        pollAfterSeconds: null,
      },
    ],
  },
  {
    // queue-admitter: src/adapters/http.ts (GET queue), asserted whole in src/adapters/http.test.ts
    method: 'get',
    path: '/v1/queues/{queueId}',
    request: { url: '/v1/queues/q' },
    nullable: ['admitPerMinute', 'opensAt', 'abandonSeconds'],
    answers: [
      {
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
      },
      {
        queueId: 'q',
        waiting: 1,
        active: 0,
        capacity: 5,
        admittedTotal: 0,
        state: 'pre-queue',
        activeSeconds: 60,
        admitPerMinute: 30,
        opensAt: NOW + 120_000,
        abandonSeconds: 600,
        paused: false,
        settingsVersion: 1,
        outflowPerMinute: 5,
        newcomerWaitSeconds: 122,
      },
    ],
  },
  {
    // queue-admitter: src/adapters/http.ts (POST verify), asserted whole in src/adapters/http.test.ts; the reasons
    // are AdmissionTokens.verify's (src/domain/admission-token.ts) and 'ended'
    method: 'post',
    path: '/v1/queues/{queueId}/admissions/verify',
    request: {
      url: '/v1/queues/q/admissions/verify',
      headers: json,
      body: JSON.stringify({ token: 'header.payload.signature' }),
    },
    answers: [
      { valid: true, ticketId, userId: 'fan', expiresAt: NOW + 179_000 },
      ...['malformed', 'bad_signature', 'expired', 'other_queue', 'ended'].map((reason) => ({ valid: false, reason })),
    ],
  },
  {
    // queue-admitter: its keys' JWK Set (publicJwk, src/domain/signing-keys.ts), asserted whole in src/adapters/http.test.ts
    method: 'get',
    path: '/.well-known/jwks.json',
    request: { url: '/.well-known/jwks.json' },
    answers: [
      {
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
      },
    ],
  },
  {
    // vote-merger: resultView (src/adapters/http.ts), asserted whole in src/adapters/http.test.ts
    method: 'get',
    path: '/v1/polls/{pollId}/results',
    request: { url: '/v1/polls/p/results' },
    answers: [
      {
        pollId: 'p',
        version: NOW,
        global: [
          { optionId: 'a', score: 0.6, rank: 1 },
          { optionId: 'b', score: 0.4, rank: 2 },
        ],
        regions: {
          kr: { votes: 10, counts: { a: 6, b: 4 }, weight: 1, snapshotVersion: 3, snapshotAt: NOW - 1000 },
          us: { votes: 0, counts: { a: 0, b: 0 }, weight: 2.5, snapshotVersion: 0, snapshotAt: null },
        },
        asOf: NOW,
      },
    ],
  },
];

/** The gateway's own Ajv options (how it validates bodies), `nullable` as OpenAPI 3.0 has it (Ajv's default). */
const ajv = new Ajv({
  ...bodyOptions,
  formats: { 'date-time': (text: string) => /^\d{4}-\d\d-\d\dT/.test(text) && !Number.isNaN(Date.parse(text)) },
});

/** What the owner answers next: JSON text, relayed as it is. */
let answering = '';
const asked: string[] = [];
let owner: Server;
let app: FastifyInstance;

beforeAll(async () => {
  owner = createServer((request, response) => {
    asked.push(`${request.method} ${request.url}`);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    response.end(answering);
  });
  await new Promise<void>((resolve) => owner.listen(0, '127.0.0.1', resolve));
  const at = { baseUrl: `http://127.0.0.1:${(owner.address() as AddressInfo).port}`, timeoutMs: 2000 };
  app = await unitGateway(
    Object.values(keys),
    {},
    { viewerAggregator: at, counterMaterializer: at, queueAdmitter: at, voteMerger: at },
  );
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => owner?.close(resolve));
});

interface DocumentedOperation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

/** The 200 answer of a route as the OpenAPI document describes it, compiled. */
function documented(read: DocumentedRead): ValidateFunction {
  const paths = (app.swagger() as unknown as { paths: Record<string, Record<string, DocumentedOperation>> }).paths;
  const schema = paths[read.path]?.[read.method]?.responses['200']?.content?.['application/json']?.schema;
  expect(schema, `${read.method} ${read.path} documents its 200 answer`).toBeDefined();
  return ajv.compile(schema!);
}

const errorsOf = (validate: ValidateFunction) => ajv.errorsText(validate.errors);

describe.each(READS.map((read) => [`${read.method.toUpperCase()} ${read.path}`, read] as const))(
  '%s',
  (_route, read) => {
    it('documents each answer its owner gives', () => {
      const validate = documented(read);
      for (const answer of read.answers)
        expect(validate(answer), `${JSON.stringify(answer)}: ${errorsOf(validate)}`).toBe(true);
    });

    it('refuses an answer without a field it says is always there, or with null where it says never', () => {
      const validate = documented(read);
      for (const answer of read.answers) {
        // an object's own fields, or those of a list's first item
        const holder = (Array.isArray(answer) ? answer[0] : answer) as Record<string, unknown> | undefined;
        const changed = (fields: object) => (Array.isArray(answer) ? [fields, ...answer.slice(1)] : fields);
        for (const field of Object.keys(holder ?? {})) {
          const { [field]: _, ...without } = holder!;
          expect(validate(changed(without)), `without ${field}`).toBe(read.optional?.includes(field) ?? false);
          expect(validate(changed({ ...holder, [field]: null })), `${field}: null`).toBe(
            read.nullable?.includes(field) ?? false,
          );
        }
      }
    });

    it('relays each answer byte for byte, fields the document does not name included', async () => {
      for (const answer of read.answers) {
        answering = JSON.stringify(Array.isArray(answer) ? answer : { ...answer, addedByTheOwner: { kept: true } });
        const relayed = await app.inject({
          method: read.method.toUpperCase() as 'GET' | 'POST',
          url: read.request.url,
          headers: read.request.headers ?? {},
          ...(read.request.body === undefined ? {} : { payload: read.request.body }),
        });
        expect(relayed.statusCode).toBe(200);
        expect(relayed.body).toBe(answering);
      }
    });
  },
);

const readOf = (path: string) => READS.find((read) => read.path === path)!;

describe('the ticket answer', () => {
  it('documents pollAfterSeconds: whole seconds, or null to stop polling', () => {
    const ticketRead = readOf('/v1/queues/{queueId}/tickets/{ticketId}');
    const validate = documented(ticketRead);
    const waiting = ticketRead.answers[0]!;
    expect(validate({ ...waiting, pollAfterSeconds: 2.5 })).toBe(false);
    expect(validate({ ...waiting, pollAfterSeconds: '20' })).toBe(false);
    expect(validate({ ...waiting, position: '250' })).toBe(false);
  });
});

describe('the admission check', () => {
  it('documents its two answers apart: a valid token says whose it is, a refused one why', () => {
    const validate = documented(readOf('/v1/queues/{queueId}/admissions/verify'));
    expect(validate({ valid: true, reason: 'expired' })).toBe(false);
    expect(validate({ valid: false, ticketId, userId: 'fan', expiresAt: NOW })).toBe(false);
  });

  it('asks the owner with the token, as a POST', () => {
    expect(asked).toContain('POST /v1/queues/q/admissions/verify');
  });
});
