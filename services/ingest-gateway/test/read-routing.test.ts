import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, call, json, keys, startTestGateway, type Answer, type TestGateway } from './fixtures/gateway.js';
import { startFakeOwner, unreachableUrl, type FakeOwner } from './fixtures/fake-owner.js';

const stack = inject('stack');

/** A read showing a key that may read wallets and tickets; who may read what is tested apart, below. */
const privately: typeof call = (base, method, path, init = {}) =>
  call(base, method, path, { ...init, headers: { ...bearer(keys.reader), ...init.headers } });

let aggregator: FakeOwner;
let materializer: FakeOwner;
let ledger: FakeOwner;
let admitter: FakeOwner;
let merger: FakeOwner;
let routed: TestGateway;
let unreachable: TestGateway;

const counts = {
  itemId: 'item-1',
  likes: 3,
  views: 10,
  uniqueViewers: 7,
  counters: { bookings: 2 },
  asOf: 1_750_000_000_000,
};
const wallet = { userId: 'user-1', balances: { KRW: '12.34', points: '0.05' }, asOf: 1_750_000_000_000 };
const history = {
  userId: 'user-1',
  transactions: [
    { id: 'shop:2', type: 'debit', asset: 'KRW', amount: '1.00', status: 'applied', balanceAfter: '12.34' },
  ],
};
const transaction = {
  userId: 'user-1',
  id: 'shop:eu:2',
  type: 'debit',
  status: 'rejected',
  reason: 'insufficient_funds',
  balanceAfter: '0.00',
};
const ticketId = 't_1a3c605670798c9fd1e1e8861a3c6056';
const ticket = { status: 'waiting', position: 41, waitingTotal: 500, estimatedWaitSeconds: 84 };
const queue = { waiting: 500, active: 100, capacity: 100, admittedTotal: 1234 };
const verified = { valid: true, ticketId, userId: 'u1', expiresAt: 1_750_000_180_000 };
const token = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJl-_';
const result = {
  pollId: 'mama-2025',
  version: 7,
  global: [
    { optionId: 'song-b', score: 0.6, rank: 1 },
    { optionId: 'song-a', score: 0.4, rank: 2 },
  ],
  regions: {
    kr: {
      votes: 10,
      counts: { 'song-a': 4, 'song-b': 6 },
      weight: 1,
      snapshotVersion: 3,
      snapshotAt: 1_750_000_000_000,
    },
  },
  asOf: 1_750_000_001_000,
};
const ranking = [
  { itemId: 'item-1', score: 3, rank: 1 },
  { itemId: 'item-2', score: 1, rank: 2 },
];

beforeAll(async () => {
  aggregator = await startFakeOwner({
    '/v1/streams/stream-1/viewers': [
      200,
      { streamId: 'stream-1', concurrent: 5, windowSeconds: 30, asOf: 1_750_000_000_000 },
    ],
    '/v1/streams/stream-1/viewers/history': [
      200,
      {
        streamId: 'stream-1',
        granularity: 'hour',
        buckets: [{ peakConcurrent: 5, uniqueViewers: 7, heartbeats: 360 }],
      },
    ],
    '/v1/streams/too-wide/viewers/history': [
      400,
      { error: 'invalid_range', message: 'at most 1000 buckets', details: [] },
    ],
    '/v1/streams/broken/viewers': [500, '<html>oops</html>'],
    // never answers: the gateway's read timeout must
    '/v1/streams/slow/viewers': 'never',
  });
  materializer = await startFakeOwner({
    '/v1/items/item-1/counts': [200, counts],
    '/v1/rankings/likes': [200, ranking],
    '/v1/rankings/bookings': [200, []],
    '/v1/items/broken/counts': [500, '<html>oops</html>'],
    '/v1/items/slow/counts': 'never',
  });
  ledger = await startFakeOwner({
    '/v1/wallets/user-1': [200, wallet],
    '/v1/wallets/user-1/transactions': [200, history],
    '/v1/wallets/user-1/transactions/shop%3Aeu%3A2': [200, transaction],
    '/v1/wallets/broken': [500, '<html>oops</html>'],
    '/v1/wallets/slow/transactions': 'never',
  });
  admitter = await startFakeOwner({
    [`/v1/queues/concert-1/tickets/${ticketId}`]: [200, ticket],
    '/v1/queues/concert-1': [200, queue],
    '/v1/queues/concert-1/admissions/verify': [200, verified],
    '/v1/queues/other/admissions/verify': [200, { valid: false, reason: 'other_queue' }],
    '/v1/queues/broken': [500, '<html>oops</html>'],
    '/v1/queues/slow': 'never',
    '/.well-known/jwks.json': [
      200,
      { keys: [{ kid: 'k1', kty: 'EC', crv: 'P-256', x: 'x', y: 'y', alg: 'ES256', use: 'sig' }] },
    ],
  });
  merger = await startFakeOwner({
    '/v1/polls/mama-2025/results': [200, result],
    '/v1/polls/award%3A2025/results': [200, { ...result, pollId: 'award:2025' }],
    '/v1/polls/broken/results': [500, '<html>oops</html>'],
    '/v1/polls/slow/results': 'never',
  });
  const owners = {
    VIEWER_AGGREGATOR_URL: aggregator.url,
    COUNTER_MATERIALIZER_URL: materializer.url,
    WALLET_LEDGER_URL: ledger.url,
    QUEUE_ADMITTER_URL: admitter.url,
    VOTE_RESULTS_URL: merger.url,
  };
  routed = await startTestGateway(stack, 'reads', { ...owners, READ_TIMEOUT_MS: '300' });
  unreachable = await startTestGateway(stack, 'reads-unreachable', {
    VIEWER_AGGREGATOR_URL: await unreachableUrl(),
    COUNTER_MATERIALIZER_URL: await unreachableUrl(),
    WALLET_LEDGER_URL: await unreachableUrl(),
    QUEUE_ADMITTER_URL: await unreachableUrl(),
    VOTE_RESULTS_URL: await unreachableUrl(),
  });
});

afterAll(async () => {
  await routed?.close();
  await unreachable?.close();
  await aggregator?.close();
  await materializer?.close();
  await ledger?.close();
  await admitter?.close();
  await merger?.close();
});

/** Every request (a path to GET, unless `send` says otherwise) answers 400 in the error shape, and the owner is never asked. */
async function expectRefusedHere(
  owner: FakeOwner,
  requests: string[],
  send = (path: string): Promise<Answer> => privately(routed.base, 'GET', path),
): Promise<void> {
  const before = owner.seen.length;
  for (const request of requests) {
    const answer = await send(request);
    expect(answer.status, request).toBe(400);
    expect(answer.body, request).toMatchObject({
      error: expect.stringMatching(/^(invalid_request|malformed_json)$/),
      details: expect.any(Array),
    });
  }
  expect(owner.seen.length).toBe(before);
}

/** Not JSON from the owner is 502; an owner slower than READ_TIMEOUT_MS is 503 with Retry-After. */
async function expectOwnerFailuresMapped(brokenPath: string, slowPath: string): Promise<void> {
  expect(await privately(routed.base, 'GET', brokenPath)).toMatchObject({
    status: 502,
    body: { error: 'bad_gateway', details: [] },
  });
  const slow = await privately(routed.base, 'GET', slowPath);
  expect(slow).toMatchObject({ status: 503, body: { error: 'unavailable', details: [] } });
  expect(slow.headers.get('retry-after')).toBe('1');
}

/** An owner nothing answers for is 503 with Retry-After, naming the owner. */
async function expectUnreachable(path: string, owner: string): Promise<void> {
  const answer = await privately(unreachable.base, 'GET', path);
  expect(answer, path).toMatchObject({
    status: 503,
    body: { error: 'unavailable', message: `${owner} cannot be reached right now; try again shortly`, details: [] },
  });
  expect(answer.headers.get('retry-after')).toBe('1');
}

describe('reads routed to the viewer-aggregator', () => {
  it('passes path, query, status and JSON body through, without a key', async () => {
    expect(await call(routed.base, 'GET', '/v1/streams/stream-1/viewers')).toMatchObject({
      status: 200,
      body: { streamId: 'stream-1', concurrent: 5, windowSeconds: 30, asOf: 1_750_000_000_000 },
    });
    const history = await call(
      routed.base,
      'GET',
      '/v1/streams/stream-1/viewers/history?from=1000&to=2000&granularity=hour',
    );
    expect(history).toMatchObject({
      status: 200,
      body: { granularity: 'hour', buckets: [{ peakConcurrent: 5, uniqueViewers: 7, heartbeats: 360 }] },
    });
    expect(aggregator.seen).toContain('/v1/streams/stream-1/viewers/history?from=1000&to=2000&granularity=hour');
    // the owner's own refusals come back as they are
    expect(await call(routed.base, 'GET', '/v1/streams/too-wide/viewers/history?from=0&to=1')).toMatchObject({
      status: 400,
      body: { error: 'invalid_range', message: 'at most 1000 buckets' },
    });
    expect(await call(routed.base, 'GET', '/v1/streams/unknown/viewers')).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no such thing' },
    });
  });

  it('refuses bad reads itself, without asking the owner', async () => {
    await expectRefusedHere(aggregator, [
      '/v1/streams/stream-1/viewers/history?from=1',
      '/v1/streams/stream-1/viewers/history?from=x&to=2',
      '/v1/streams/stream-1/viewers/history?from=1&to=2&granularity=week',
      '/v1/streams/stream-1/viewers/history?from=1&to=2&limit=3',
      `/v1/streams/${'s'.repeat(129)}/viewers`,
    ]);
  });

  it('answers 502 when the owner answers something that is not JSON, 503 when it is too slow', async () => {
    await expectOwnerFailuresMapped('/v1/streams/broken/viewers', '/v1/streams/slow/viewers');
  });

  it('answers 503 with Retry-After when the owner cannot be reached', async () => {
    await expectUnreachable('/v1/streams/stream-1/viewers', 'viewer-aggregator');
  });
});

describe('reads routed to the counter-materializer', () => {
  it('passes counts through, without a key, and never to the viewer-aggregator', async () => {
    const asked = aggregator.seen.length;
    expect(await call(routed.base, 'GET', '/v1/items/item-1/counts')).toMatchObject({ status: 200, body: counts });
    expect(await call(routed.base, 'GET', '/v1/items/unknown/counts')).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no such thing' },
    });
    expect(materializer.seen.slice(-2)).toEqual(['/v1/items/item-1/counts', '/v1/items/unknown/counts']);
    expect(aggregator.seen.length).toBe(asked);
  });

  it('passes rankings through with the window and limit, the defaults filled in', async () => {
    const answer = await call(routed.base, 'GET', '/v1/rankings/likes?window=24h&limit=2');
    expect(answer).toMatchObject({ status: 200, body: ranking });
    expect(await call(routed.base, 'GET', '/v1/rankings/bookings')).toMatchObject({ status: 200, body: [] });
    expect(await call(routed.base, 'GET', '/v1/rankings/bookings?limit=100&window=1h')).toMatchObject({ status: 200 });
    expect(materializer.seen.slice(-3)).toEqual([
      '/v1/rankings/likes?window=24h&limit=2',
      '/v1/rankings/bookings?window=all&limit=10',
      '/v1/rankings/bookings?window=1h&limit=100',
    ]);
  });

  it('refuses bad reads itself, without asking the owner', async () => {
    const badQueries = [
      'window=7d',
      'window=ALL',
      'limit=0',
      'limit=101',
      'limit=2.5',
      'limit=ten',
      'limit=-1',
      'window=1h&window=24h',
      'order=asc',
    ];
    const badMetrics = ['Likes', 'check-ins', 'm'.repeat(65)];
    const badCounts = [
      `/v1/items/${'i'.repeat(129)}/counts`,
      '/v1/items/a%20b/counts',
      '/v1/items/item-1/counts?fresh=true',
    ];
    await expectRefusedHere(materializer, [
      ...badQueries.map((query) => `/v1/rankings/likes?${query}`),
      ...badMetrics.map((metric) => `/v1/rankings/${metric}`),
      ...badCounts,
    ]);
  });

  it('answers 502 when the owner answers something that is not JSON, 503 when it is too slow', async () => {
    await expectOwnerFailuresMapped('/v1/items/broken/counts', '/v1/items/slow/counts');
  });

  it('answers 503 with Retry-After when the owner cannot be reached', async () => {
    await expectUnreachable('/v1/items/item-1/counts', 'counter-materializer');
    await expectUnreachable('/v1/rankings/views?window=1h', 'counter-materializer');
  });
});

describe('reads routed to the wallet-ledger', () => {
  it('passes balances, history and one transaction through, with a wallets:read key, the history limit filled in', async () => {
    expect(await privately(routed.base, 'GET', '/v1/wallets/user-1')).toMatchObject({ status: 200, body: wallet });
    expect(await privately(routed.base, 'GET', '/v1/wallets/user-1/transactions')).toMatchObject({
      status: 200,
      body: history,
    });
    expect(await privately(routed.base, 'GET', '/v1/wallets/user-1/transactions?limit=100')).toMatchObject({
      status: 200,
      body: history,
    });
    expect(await privately(routed.base, 'GET', '/v1/wallets/user-1/transactions/shop:eu:2')).toMatchObject({
      status: 200,
      body: transaction,
    });
    expect(await privately(routed.base, 'GET', '/v1/wallets/user-1/transactions/shop%3Aeu%3A2')).toMatchObject({
      status: 200,
      body: transaction,
    });
    // the owner's own answers come back as they are
    expect(await privately(routed.base, 'GET', '/v1/wallets/user-1/transactions/shop:3')).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no such thing' },
    });
    expect(ledger.seen).toEqual([
      '/v1/wallets/user-1',
      '/v1/wallets/user-1/transactions?limit=20',
      '/v1/wallets/user-1/transactions?limit=100',
      '/v1/wallets/user-1/transactions/shop%3Aeu%3A2',
      '/v1/wallets/user-1/transactions/shop%3Aeu%3A2',
      '/v1/wallets/user-1/transactions/shop%3A3',
    ]);
  });

  it('refuses bad reads itself, without asking the owner', async () => {
    const badLimits = ['limit=0', 'limit=101', 'limit=2.5', 'limit=ten', 'limit=-1', 'limit=1&limit=2', 'order=asc'];
    const badIds = [
      'shop',
      'shop:',
      ':5',
      'shop:-1',
      'shop:1.5',
      'shop:007',
      'shop:9007199254740992',
      'a%20b:1',
      `${'s'.repeat(65)}:1`,
    ];
    await expectRefusedHere(ledger, [
      ...badLimits.map((query) => `/v1/wallets/user-1/transactions?${query}`),
      ...badIds.map((id) => `/v1/wallets/user-1/transactions/${id}`),
      '/v1/wallets/user-1?asset=KRW',
      '/v1/wallets/user-1/transactions/shop:1?fresh=true',
      `/v1/wallets/${'u'.repeat(129)}`,
      '/v1/wallets/a%20b/transactions',
    ]);
  });

  it('says what is wrong with a transaction id', async () => {
    const answer = await privately(routed.base, 'GET', '/v1/wallets/user-1/transactions/shop:007');
    expect(answer.body.details).toEqual([
      { field: 'params.id', message: 'must be written as the write was answered, without leading zeros in the seq' },
    ]);
  });

  it('answers 502 when the owner answers something that is not JSON, 503 when it is too slow', async () => {
    await expectOwnerFailuresMapped('/v1/wallets/broken', '/v1/wallets/slow/transactions');
  });

  it('answers 503 with Retry-After when the owner cannot be reached', async () => {
    await expectUnreachable('/v1/wallets/user-1', 'wallet-ledger');
    await expectUnreachable('/v1/wallets/user-1/transactions/shop:1', 'wallet-ledger');
  });
});

describe('reads routed to the queue-admitter', () => {
  const verify = (queueId: string, raw: string) =>
    privately(routed.base, 'POST', `/v1/queues/${queueId}/admissions/verify`, { headers: json, body: raw });

  it('passes a ticket (with a queues:read key) and a queue through', async () => {
    expect(await privately(routed.base, 'GET', `/v1/queues/concert-1/tickets/${ticketId}`)).toMatchObject({
      status: 200,
      body: ticket,
    });
    expect(await privately(routed.base, 'GET', '/v1/queues/concert-1')).toMatchObject({ status: 200, body: queue });
    // the owner's own answers come back as they are: a join it has not seen yet is 404
    const unseen = 't_00000000000000000000000000000000';
    expect(await privately(routed.base, 'GET', `/v1/queues/concert-1/tickets/${unseen}`)).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no such thing' },
    });
    expect(admitter.seen).toEqual([
      `/v1/queues/concert-1/tickets/${ticketId}`,
      '/v1/queues/concert-1',
      `/v1/queues/concert-1/tickets/${unseen}`,
    ]);
    expect(admitter.received.every((r) => r.method === 'GET' && r.body === '')).toBe(true);
  });

  it('forwards an admission check, body included, to the same path, and passes the verdict back', async () => {
    expect(await verify('concert-1', JSON.stringify({ token }))).toMatchObject({ status: 200, body: verified });
    expect(await verify('other', JSON.stringify({ token }))).toMatchObject({
      status: 200,
      body: { valid: false, reason: 'other_queue' },
    });
    expect(admitter.received.slice(-2)).toEqual([
      {
        method: 'POST',
        url: '/v1/queues/concert-1/admissions/verify',
        contentType: 'application/json',
        body: JSON.stringify({ token }),
      },
      {
        method: 'POST',
        url: '/v1/queues/other/admissions/verify',
        contentType: 'application/json',
        body: JSON.stringify({ token }),
      },
    ]);
  });

  it('refuses bad reads itself, without asking the owner', async () => {
    const badTicketIds = [
      't_123',
      'T_1a3c605670798c9fd1e1e886',
      't_1A3C605670798C9FD1E1E886',
      't_1a3c605670798c9fd1e1e8866',
      't_1a3c605670798c9fd1e1e8861a3c60567',
      'ticket',
    ];
    await expectRefusedHere(admitter, [
      ...badTicketIds.map((id) => `/v1/queues/concert-1/tickets/${id}`),
      `/v1/queues/concert-1/tickets/${ticketId}?fresh=true`,
      '/v1/queues/concert-1?detail=full',
      `/v1/queues/${'q'.repeat(129)}`,
      '/v1/queues/a%20b',
      `/v1/queues/a%20b/tickets/${ticketId}`,
    ]);
    const badChecks = [
      '{}',
      JSON.stringify({ token: '' }),
      JSON.stringify({ token: 'a'.repeat(2049) }),
      JSON.stringify({ token: 7 }),
      JSON.stringify({ token, ticketId }),
      '{"token": ',
    ];
    await expectRefusedHere(admitter, badChecks, (raw) => verify('concert-1', raw));
    await expectRefusedHere(admitter, [JSON.stringify({ token })], (raw) => verify('a%20b', raw));
  });

  it('answers 502 when the owner answers something that is not JSON, 503 when it is too slow', async () => {
    await expectOwnerFailuresMapped('/v1/queues/broken', '/v1/queues/slow');
  });

  it('answers 503 with Retry-After when the owner cannot be reached, also for an admission check', async () => {
    await expectUnreachable('/v1/queues/concert-1', 'queue-admitter');
    await expectUnreachable(`/v1/queues/concert-1/tickets/${ticketId}`, 'queue-admitter');
    const check = await privately(unreachable.base, 'POST', '/v1/queues/concert-1/admissions/verify', {
      headers: json,
      body: JSON.stringify({ token }),
    });
    expect(check).toMatchObject({
      status: 503,
      body: {
        error: 'unavailable',
        message: 'queue-admitter cannot be reached right now; try again shortly',
        details: [],
      },
    });
    expect(check.headers.get('retry-after')).toBe('1');
  });
});

describe('private reads', () => {
  it('refuses a wallet or a ticket without a key (401), without the read scope or for another tenant (403), and never asks the owner', async () => {
    const before = { ledger: ledger.seen.length, admitter: admitter.seen.length };
    const refused: [string, Record<string, string>, number][] = [];
    for (const path of [
      '/v1/wallets/user-1',
      '/v1/wallets/user-1/transactions',
      '/v1/wallets/user-1/transactions/shop:eu:2',
      `/v1/queues/concert-1/tickets/${ticketId}`,
    ]) {
      refused.push(
        [path, {}, 401],
        [path, { authorization: 'Bearer not-a-key-0123456789' }, 401],
        [path, bearer(keys.wallets), 403],
        [path, bearer(keys.tenant), 403],
      );
    }
    for (const [path, headers, status] of refused) {
      const answer = await call(routed.base, 'GET', path, { headers });
      expect(answer.status, `${path} ${JSON.stringify(headers)}`).toBe(status);
      expect(answer.body.error).toBe(status === 401 ? 'unauthorized' : 'forbidden');
    }
    expect({ ledger: ledger.seen.length, admitter: admitter.seen.length }).toEqual(before);
    // the tenant's key reads its own users
    expect((await call(routed.base, 'GET', '/v1/wallets/acme:7', { headers: bearer(keys.tenant) })).status).toBe(404);
    expect(ledger.seen.at(-1)).toBe('/v1/wallets/acme%3A7');
  });

  it('routes the admission keys (JWKS) with a cache lifetime, without a key', async () => {
    const jwks = await call(routed.base, 'GET', '/.well-known/jwks.json');
    expect(jwks).toMatchObject({ status: 200, body: { keys: [{ kid: 'k1', kty: 'EC' }] } });
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
  });
});

describe('reads routed to the vote-merger', () => {
  it('passes a global result through, without a key, and a poll with no result yet as 404', async () => {
    expect(await call(routed.base, 'GET', '/v1/polls/mama-2025/results')).toMatchObject({ status: 200, body: result });
    expect(await call(routed.base, 'GET', '/v1/polls/award:2025/results')).toMatchObject({
      status: 200,
      body: { pollId: 'award:2025' },
    });
    // the owner's own answers come back as they are: a poll not merged yet is 404
    expect(await call(routed.base, 'GET', '/v1/polls/unknown/results')).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no such thing' },
    });
    expect(merger.seen).toEqual([
      '/v1/polls/mama-2025/results',
      '/v1/polls/award%3A2025/results',
      '/v1/polls/unknown/results',
    ]);
    expect(merger.received.every((r) => r.method === 'GET' && r.body === '')).toBe(true);
  });

  it('refuses bad reads itself, without asking the owner', async () => {
    await expectRefusedHere(merger, [
      `/v1/polls/${'p'.repeat(129)}/results`,
      '/v1/polls/a%20b/results',
      '/v1/polls/caf%C3%A9/results',
      '/v1/polls/mama-2025/results?region=kr',
      '/v1/polls/mama-2025/results?version=7',
    ]);
  });

  it('answers 502 when the owner answers something that is not JSON, 503 when it is too slow', async () => {
    await expectOwnerFailuresMapped('/v1/polls/broken/results', '/v1/polls/slow/results');
  });

  it('answers 503 with Retry-After when the owner cannot be reached', async () => {
    await expectUnreachable('/v1/polls/mama-2025/results', 'vote-merger');
  });
});
