import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { bearer, call, gatewayForThisFile, json, keys } from './fixtures/gateway.js';

const world = gatewayForThisFile('ops', { RATE_LIMIT_PER_SECOND: '3' });

/** The value of the one sample of `name` carrying all of `labels` (in whatever order prom-client wrote them). */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith(`${name}{`) &&
        Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)) &&
        l.includes('service="ingest-gateway"'),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('docs, health and metrics', () => {
  it('serves an OpenAPI document of every route at /docs/json and the UI at /docs', async () => {
    const { status, body } = await call(world().base, 'GET', '/docs/json');
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    const paths = body.paths as Record<
      string,
      Record<
        string,
        {
          security?: unknown;
          requestBody?: { required: boolean; content: Record<string, { schema: { properties: object } }> };
        }
      >
    >;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/v1/streams/{streamId}/heartbeats',
        '/v1/heartbeats/batch',
        '/v1/streams/{streamId}/viewers',
        '/v1/streams/{streamId}/viewers/history',
        '/v1/items/{itemId}/likes',
        '/v1/items/{itemId}/views',
        '/v1/items/{itemId}/counters/{name}',
        '/v1/items/{itemId}/counts',
        '/v1/rankings/{metric}',
        '/v1/wallets/{userId}/transactions',
        '/v1/wallets/grants',
        '/v1/wallets/{userId}',
        '/v1/wallets/{userId}/transactions/{id}',
        '/v1/transfers',
        '/v1/wallets/groups',
        '/v1/wallets/{userId}/holds',
        '/v1/wallets/{userId}/holds/{holdId}',
        '/v1/wallets/{userId}/holds/{holdId}/capture',
        '/v1/wallets/{userId}/holds/{holdId}/release',
        '/v1/queues/{queueId}',
        '/v1/queues/{queueId}/tickets',
        '/v1/queues/{queueId}/tickets/{ticketId}',
        '/v1/queues/{queueId}/tickets/{ticketId}/complete',
        '/v1/queues/{queueId}/admissions/verify',
        '/v1/polls/{pollId}',
        '/v1/polls/{pollId}/votes',
        '/v1/polls/{pollId}/results',
        '/healthz',
        '/readyz',
        '/metrics',
      ]),
    );
    const bodyFields = (path: string, method = 'post') => {
      const write = paths[path]![method]!;
      expect(write.security, path).toEqual([{ bearerAuth: [] }]);
      return Object.keys(write.requestBody!.content['application/json']!.schema.properties);
    };
    expect(bodyFields('/v1/streams/{streamId}/heartbeats')).toEqual([
      'source',
      'seq',
      'sessionId',
      'userId',
      'positionMs',
      'at',
      'state',
    ]);
    expect(bodyFields('/v1/items/{itemId}/likes')).toEqual(['source', 'seq', 'userId', 'liked', 'at']);
    expect(bodyFields('/v1/items/{itemId}/views')).toEqual(['source', 'seq', 'userId', 'sessionId', 'at']);
    expect(bodyFields('/v1/items/{itemId}/counters/{name}')).toEqual(['source', 'seq', 'by', 'at']);
    expect(bodyFields('/v1/wallets/{userId}/transactions')).toEqual([
      'source',
      'seq',
      'asset',
      'amount',
      'reason',
      'type',
    ]);
    expect(bodyFields('/v1/wallets/grants')).toEqual(['source', 'seq', 'asset', 'amount', 'reason', 'userIds']);
    expect(bodyFields('/v1/transfers')).toEqual(['source', 'seq', 'from', 'to', 'asset', 'amount', 'reason']);
    expect(bodyFields('/v1/wallets/groups')).toEqual(['source', 'seq', 'members', 'reason']);
    expect(bodyFields('/v1/wallets/{userId}/holds')).toEqual([
      'source',
      'seq',
      'asset',
      'amount',
      'reason',
      'timeoutSeconds',
      'to',
    ]);
    expect(bodyFields('/v1/wallets/{userId}/holds/{holdId}/capture')).toEqual([
      'source',
      'seq',
      'asset',
      'amount',
      'reason',
    ]);
    expect(bodyFields('/v1/wallets/{userId}/holds/{holdId}/release')).toEqual(['source', 'seq', 'reason']);
    expect(bodyFields('/v1/queues/{queueId}', 'put')).toEqual([
      'capacity',
      'activeSeconds',
      'admitPerMinute',
      'opensAt',
      'abandonSeconds',
      'paused',
    ]);
    expect(bodyFields('/v1/queues/{queueId}/tickets')).toEqual(['source', 'seq', 'userId']);
    expect(bodyFields('/v1/polls/{pollId}', 'put')).toEqual(['options', 'regions']);
    expect(bodyFields('/v1/polls/{pollId}/votes')).toEqual(['source', 'seq', 'region', 'userId', 'optionId']);
    expect(paths['/v1/polls/{pollId}/results']!.get!.security).toBeUndefined();
    expect(body.tags).toContainEqual({
      name: 'polls',
      description: 'Global votes: each region counts its own; the merger ranks the world',
    });
    // leave and complete take no body, or {}: documented as an optional body naming no field
    for (const [path, method] of [
      ['/v1/queues/{queueId}/tickets/{ticketId}', 'delete'],
      ['/v1/queues/{queueId}/tickets/{ticketId}/complete', 'post'],
    ] as const) {
      expect(bodyFields(path, method), path).toEqual([]);
      expect(paths[path]![method]!.requestBody!.required, path).toBe(false);
    }
    expect(paths['/v1/queues/{queueId}/tickets']!.post!.requestBody!.required).toBe(true);
    const verify = paths['/v1/queues/{queueId}/admissions/verify']!.post!;
    expect(verify.security).toBeUndefined();
    expect(verify.requestBody!.content['application/json']!.schema.properties).toEqual({
      token: expect.objectContaining({ type: 'string', minLength: 1, maxLength: 2048 }),
    });
    expect(paths['/v1/queues/{queueId}']!.get!.security).toBeUndefined();
    // a ticket is private: its own secret, or a key with queues:read
    expect(paths['/v1/queues/{queueId}/tickets/{ticketId}']!.get!.security).toEqual([
      { ticketSecret: [] },
      { bearerAuth: [] },
    ]);
    const ticketParameter = (
      paths['/v1/queues/{queueId}/tickets/{ticketId}']!.get as unknown as {
        parameters: { name: string; schema: object }[];
      }
    ).parameters;
    expect(ticketParameter.find((p) => p.name === 'ticketId')!.schema).toMatchObject({
      pattern: '^t_([0-9a-f]{24}|[0-9a-f]{32})$',
    });
    expect(paths['/v1/streams/{streamId}/viewers']!.get!.security).toBeUndefined();
    expect(paths['/v1/items/{itemId}/counts']!.get!.security).toBeUndefined();
    for (const read of [
      '/v1/wallets/{userId}',
      '/v1/wallets/{userId}/transactions',
      '/v1/wallets/{userId}/transactions/{id}',
      '/v1/wallets/{userId}/holds/{holdId}',
    ])
      expect(paths[read]!.get!.security, read).toEqual([{ bearerAuth: [] }]);
    const transactions = paths['/v1/wallets/{userId}/transactions']!;
    const amount = transactions.post!.requestBody!.content['application/json']!.schema.properties as Record<
      string,
      object
    >;
    expect(amount.amount).toMatchObject({ type: 'string', format: 'decimal-amount' });
    const wait = transactions.post as unknown as {
      parameters: { in: string; name: string; schema: object }[];
      responses: Record<string, unknown>;
    };
    expect(wait.parameters.find((p) => p.in === 'query')).toMatchObject({
      name: 'wait',
      schema: { type: 'boolean', default: false },
    });
    expect(Object.keys(wait.responses)).toEqual(expect.arrayContaining(['200', '202', '400', '409', '503']));
    const history = transactions.get as unknown as { parameters: { in: string; name: string; schema: object }[] };
    expect(history.parameters.find((p) => p.in === 'query')).toMatchObject({
      name: 'limit',
      schema: { minimum: 1, maximum: 100, default: 20 },
    });
    const rankings = paths['/v1/rankings/{metric}']!.get! as unknown as {
      parameters: { in: string; name: string; schema: object }[];
    };
    expect(rankings.parameters.map((p) => [p.in, p.name])).toEqual([
      ['query', 'window'],
      ['query', 'limit'],
      ['path', 'metric'],
    ]);
    expect(rankings.parameters[0]!.schema).toMatchObject({ enum: ['1h', '24h', 'all'], default: 'all' });
    expect(rankings.parameters[1]!.schema).toMatchObject({ minimum: 1, maximum: 100, default: 10 });
    const ui = await fetch(`${world().base}/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toContain('text/html');
  });

  it('answers /healthz, /readyz and /metrics, with request counts and latencies by route template', async () => {
    expect(await call(world().base, 'GET', '/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await call(world().base, 'GET', '/readyz')).toMatchObject({
      status: 200,
      body: {
        status: 'ready',
        checks: [
          { name: 'kafka', ok: true },
          { name: 'schema-registry', ok: true },
        ],
      },
    });
    await call(world().base, 'POST', '/v1/streams/s-1/heartbeats', {
      headers: { ...json, ...bearer(keys.writer) },
      body: '{}',
    });
    const scraped = await fetch(`${world().base}/metrics`);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    const text = await scraped.text();
    expect(
      sample(text, 'tally_http_requests_total', {
        route: '/v1/streams/:streamId/heartbeats',
        method: 'POST',
        status: '400',
      }),
    ).toBe(1);
    expect(
      sample(text, 'tally_http_request_duration_seconds_count', { route: '/healthz', method: 'GET', status: '200' }),
    ).toBe(1);
    expect(text).toContain('tally_process_cpu_user_seconds_total');
  });
});

describe('rate limiting', () => {
  it('limits each API key on its own and answers 429 with Retry-After in the error shape', async () => {
    const attempt = (key: { key: string }) =>
      call(world().base, 'POST', '/v1/streams/s-1/heartbeats', {
        headers: { ...json, ...bearer(key) },
        body: JSON.stringify({ source: 'p' }),
      });
    // 3 per second: bad bodies count too, since the limit applies before the body is read
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await attempt(keys.writer));
    const limited = answers.filter((a) => a.status === 429);
    // 10 quick requests span at most two one-second windows of 3
    expect(limited.length).toBeGreaterThanOrEqual(4);
    expect(answers.every((a) => a.status === 400 || a.status === 429)).toBe(true);
    expect(limited[0]!.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(limited[0]!.body).toMatchObject({ error: 'rate_limited', details: [] });
    expect(limited[0]!.body.message).toMatch(/too many requests/);
    // another key has its own budget
    expect((await attempt(keys.second)).status).toBe(400);
    // the ops routes are never limited
    for (let i = 0; i < 5; i++) expect((await call(world().base, 'GET', '/healthz')).status).toBe(200);
  });
});

// on a socket of the gateway's own: what is not HTTP never reaches app.inject, so the unit tier cannot send it
describe('what is not HTTP', () => {
  it('answers bytes that are not HTTP in the error shape', async () => {
    const raw = await sendRaw('this is not http\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
      error: 'invalid_request',
      message: 'the request is not valid HTTP/1.1',
      details: [],
    });
  });

  it('answers CONNECT like any method it has no route for, instead of dropping the connection (fuzzing found it)', async () => {
    for (const target of ['/v1/streams/s/viewers', 'example.com:443']) {
      const raw = await sendRaw(
        `CONNECT ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: ${bearer(keys.writer).authorization}\r\n\r\n`,
      );
      expect(raw).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
      expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({
        error: 'not_found',
        message: `there is no route CONNECT ${target}; see /docs`,
        details: [],
      });
    }
    // and the gateway is still there
    expect((await call(world().base, 'GET', '/healthz')).status).toBe(200);
  });
});

/** Writes `bytes` on a connection of its own and reads everything the gateway answers until it closes. */
function sendRaw(bytes: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(Number(new URL(world().base).port), '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}
