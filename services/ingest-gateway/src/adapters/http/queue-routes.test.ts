/**
 * Bad input to the waiting-queue writes (configure, join, leave, complete) and the admission check, through app.inject and no servers: each case is answered exactly its 4xx in the
 * error shape, and writes nothing; the valid writes beside them are written, so "nothing" proves refusal.
 * (test/poll-bad-input.test.ts proves the same against the real broker.)
 */
import { describe, expect, it } from 'vitest';
import { bearer, json, keys } from '../../test-support/keys.js';
import { detailFields, expectProblem } from '../../test-support/problem.js';
import { recordCounts, unitGatewayForThisFile } from '../../test-support/unit-gateway.js';

const { topics, call } = unitGatewayForThisFile();

const writer = { ...json, ...bearer(keys.queues) };
const admin = { ...json, ...bearer(keys.queueAdmin) };
const queue = '/v1/queues/concert-1';
const tickets = `${queue}/tickets`;
const ticketId = 't_1a3c605670798c9fd1e1e886';
const ticket = `${tickets}/${ticketId}`;
const complete = `${ticket}/complete`;
const verify = `${queue}/admissions/verify`;
const validConfigure = { capacity: 100, activeSeconds: 180 };
const validJoin = { source: 'app', seq: 1, userId: 'u1' };

/** [what, method, path, headers, raw body (undefined: none), expected status, expected error code, the field named in the details] */
type Case = [string, string, string, Record<string, string>, string | undefined, number, string, string?];
const body = (value: unknown) => JSON.stringify(value);
const configure = (change: Record<string, unknown>) => body({ ...validConfigure, ...change });
const join = (change: Record<string, unknown>) => body({ ...validJoin, ...change });
const without = (value: Record<string, unknown>, field: string) =>
  body(Object.fromEntries(Object.entries(value).filter(([k]) => k !== field)));

const badCapacities: [string, unknown][] = [
  ['0', 0],
  ['-1', -1],
  ['100001', 100_001],
  ['1.5', 1.5],
  ['"100"', '100'],
  ['null', null],
  ['true', true],
];
const badActiveSeconds: [string, unknown][] = [
  ['0', 0],
  ['86401', 86_401],
  ['huge', 1e12],
  ['2.5', 2.5],
  ['"180"', '180'],
];
const badSeqs: [string, unknown][] = [
  ['-1', -1],
  ['2^53', 2 ** 53],
  ['"1"', '1'],
  ['1.5', 1.5],
  ['null', null],
];
const badTicketIds = [
  't_123',
  'T_1a3c605670798c9fd1e1e886',
  't_1A3C605670798C9FD1E1E886',
  't_1a3c605670798c9fd1e1e8866',
  't_1a3c605670798c9fd1e1e88',
  'x_1a3c605670798c9fd1e1e886',
  'ticket-1',
  't_1a3c605670798c9fd1e1e88%20',
];
const badQueueIds = ['q'.repeat(129), 'a%20b', 'a%2Fb', 'caf%C3%A9'];

const cases: Case[] = [
  // configure
  ...badCapacities.map(([what, capacity]): Case => [
    `capacity ${what}`,
    'PUT',
    queue,
    admin,
    configure({ capacity }),
    400,
    'invalid_request',
    'body.capacity',
  ]),
  ...badActiveSeconds.map(([what, activeSeconds]): Case => [
    `activeSeconds ${what}`,
    'PUT',
    queue,
    admin,
    configure({ activeSeconds }),
    400,
    'invalid_request',
    'body.activeSeconds',
  ]),
  ['no capacity', 'PUT', queue, admin, without(validConfigure, 'capacity'), 400, 'invalid_request', 'body.capacity'],
  [
    'no activeSeconds',
    'PUT',
    queue,
    admin,
    without(validConfigure, 'activeSeconds'),
    400,
    'invalid_request',
    'body.activeSeconds',
  ],
  [
    'an unknown field on configure',
    'PUT',
    queue,
    admin,
    configure({ name: 'BTS' }),
    400,
    'invalid_request',
    'body.name',
  ],
  [
    'a seq on configure (the gateway names it)',
    'PUT',
    queue,
    admin,
    configure({ source: 'app', seq: 1 }),
    400,
    'invalid_request',
    'body.seq',
  ],
  ['malformed JSON on configure', 'PUT', queue, admin, '{"capacity": 100,', 400, 'malformed_json'],
  ['an empty body on configure', 'PUT', queue, admin, '', 400, 'malformed_json'],
  ['a JSON array on configure', 'PUT', queue, admin, body([validConfigure]), 400, 'invalid_request'],
  [
    'an unknown query field on configure',
    'PUT',
    `${queue}?force=true`,
    admin,
    body(validConfigure),
    400,
    'invalid_request',
    'querystring.force',
  ],
  ['an oversized configure', 'PUT', queue, admin, configure({ pad: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large'],
  [
    'text/plain on configure',
    'PUT',
    queue,
    { ...bearer(keys.queueAdmin), 'content-type': 'text/plain' },
    body(validConfigure),
    415,
    'unsupported_media_type',
  ],
  ['no Authorization on configure', 'PUT', queue, json, body(validConfigure), 401, 'unauthorized'],
  [
    'a wrong key on configure',
    'PUT',
    queue,
    { ...json, authorization: 'Bearer not-a-key-of-ours-at-all' },
    body(validConfigure),
    401,
    'unauthorized',
  ],
  [
    'a key with queues:write but not queues:admin on configure',
    'PUT',
    queue,
    writer,
    body(validConfigure),
    403,
    'forbidden',
  ],
  // the waiting room's settings
  ...(
    [
      ['admitPerMinute 0', { admitPerMinute: 0 }, 'body.admitPerMinute'],
      ['admitPerMinute -5', { admitPerMinute: -5 }, 'body.admitPerMinute'],
      ['admitPerMinute 1.5', { admitPerMinute: 1.5 }, 'body.admitPerMinute'],
      ['admitPerMinute "60"', { admitPerMinute: '60' }, 'body.admitPerMinute'],
      ['admitPerMinute 600001', { admitPerMinute: 600_001 }, 'body.admitPerMinute'],
      ['abandonSeconds 0', { abandonSeconds: 0 }, 'body.abandonSeconds'],
      ['abandonSeconds 5 (below 10)', { abandonSeconds: 5 }, 'body.abandonSeconds'],
      ['abandonSeconds 86401', { abandonSeconds: 86_401 }, 'body.abandonSeconds'],
      ['paused "yes"', { paused: 'yes' }, 'body.paused'],
      ['opensAt as an ISO string', { opensAt: '2027-01-01T10:00:00Z' }, 'body.opensAt'],
      ['opensAt negative', { opensAt: -1 }, 'body.opensAt'],
      ['opensAt years in the past', { opensAt: Date.now() - 3 * 365 * 86_400_000 }, 'body.opensAt'],
      ['opensAt two days in the past', { opensAt: Date.now() - 2 * 86_400_000 }, 'body.opensAt'],
      ['opensAt two years ahead', { opensAt: Date.now() + 2 * 366 * 86_400_000 }, 'body.opensAt'],
      ['opensAt in seconds, not ms (1970)', { opensAt: Math.floor(Date.now() / 1000) }, 'body.opensAt'],
    ] as [string, Record<string, unknown>, string][]
  ).map(([what, change, field]): Case => [what, 'PUT', queue, admin, configure(change), 400, 'invalid_request', field]),
  // join
  ...badSeqs.map(([what, seq]): Case => [
    `seq ${what}`,
    'POST',
    tickets,
    writer,
    join({ seq }),
    400,
    'invalid_request',
    'body.seq',
  ]),
  ['no userId', 'POST', tickets, writer, without(validJoin, 'userId'), 400, 'invalid_request', 'body.userId'],
  ['no source', 'POST', tickets, writer, without(validJoin, 'source'), 400, 'invalid_request', 'body.source'],
  ['no seq', 'POST', tickets, writer, without(validJoin, 'seq'), 400, 'invalid_request', 'body.seq'],
  [
    'a userId of 129 characters',
    'POST',
    tickets,
    writer,
    join({ userId: 'u'.repeat(129) }),
    400,
    'invalid_request',
    'body.userId',
  ],
  ['a userId with a space', 'POST', tickets, writer, join({ userId: 'a b' }), 400, 'invalid_request', 'body.userId'],
  ['an empty userId', 'POST', tickets, writer, join({ userId: '' }), 400, 'invalid_request', 'body.userId'],
  ['a source with a space', 'POST', tickets, writer, join({ source: 'my app' }), 400, 'invalid_request', 'body.source'],
  [
    'a source of 65 characters',
    'POST',
    tickets,
    writer,
    join({ source: 's'.repeat(65) }),
    400,
    'invalid_request',
    'body.source',
  ],
  [
    'a ticketId in the join (the gateway names it)',
    'POST',
    tickets,
    writer,
    join({ ticketId }),
    400,
    'invalid_request',
    'body.ticketId',
  ],
  ['malformed JSON on join', 'POST', tickets, writer, '{"source": "app", ', 400, 'malformed_json'],
  ['an empty body on join', 'POST', tickets, writer, '', 400, 'malformed_json'],
  ['no body on join', 'POST', tickets, bearer(keys.queues), undefined, 400, 'invalid_request'],
  ['an oversized join', 'POST', tickets, writer, join({ pad: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large'],
  ['no Authorization on join', 'POST', tickets, json, body(validJoin), 401, 'unauthorized'],
  ['a key without queues:write on join', 'POST', tickets, admin, body(validJoin), 403, 'forbidden'],
  ['a wallets key on join', 'POST', tickets, { ...json, ...bearer(keys.wallets) }, body(validJoin), 403, 'forbidden'],
  // queue ids, on every write
  ...badQueueIds.flatMap((queueId): Case[] => [
    [
      `queue id ${queueId.slice(0, 12)} on configure`,
      'PUT',
      `/v1/queues/${queueId}`,
      admin,
      body(validConfigure),
      400,
      'invalid_request',
      'params.queueId',
    ],
    [
      `queue id ${queueId.slice(0, 12)} on join`,
      'POST',
      `/v1/queues/${queueId}/tickets`,
      writer,
      body(validJoin),
      400,
      'invalid_request',
      'params.queueId',
    ],
    [
      `queue id ${queueId.slice(0, 12)} on leave`,
      'DELETE',
      `/v1/queues/${queueId}/tickets/${ticketId}`,
      writer,
      undefined,
      400,
      'invalid_request',
      'params.queueId',
    ],
  ]),
  // leave and complete
  ...badTicketIds.flatMap((id): Case[] => [
    [
      `ticket id ${id} on leave`,
      'DELETE',
      `${tickets}/${id}`,
      writer,
      undefined,
      400,
      'invalid_request',
      'params.ticketId',
    ],
    [
      `ticket id ${id} on complete`,
      'POST',
      `${tickets}/${id}/complete`,
      writer,
      '{}',
      400,
      'invalid_request',
      'params.ticketId',
    ],
  ]),
  [
    'complete with a field',
    'POST',
    complete,
    writer,
    body({ bookingId: 'b-1' }),
    400,
    'invalid_request',
    'body.bookingId',
  ],
  ['complete with a JSON array', 'POST', complete, writer, '[]', 400, 'invalid_request'],
  ['complete with null', 'POST', complete, writer, 'null', 400, 'invalid_request'],
  ['complete with a string', 'POST', complete, writer, '"done"', 400, 'invalid_request'],
  ['complete with malformed JSON', 'POST', complete, writer, '{', 400, 'malformed_json'],
  [
    'complete with an oversized body',
    'POST',
    complete,
    writer,
    body({ pad: 'x'.repeat(70 * 1024) }),
    413,
    'payload_too_large',
  ],
  [
    'complete with text/plain',
    'POST',
    complete,
    { ...bearer(keys.queues), 'content-type': 'text/plain' },
    'done',
    415,
    'unsupported_media_type',
  ],
  ['complete with a query', 'POST', `${complete}?at=1`, writer, '{}', 400, 'invalid_request', 'querystring.at'],
  ['leave with a field', 'DELETE', ticket, writer, body({ reason: 'bored' }), 400, 'invalid_request', 'body.reason'],
  ['leave with malformed JSON', 'DELETE', ticket, writer, 'x', 400, 'malformed_json'],
  ['no Authorization on leave', 'DELETE', ticket, {}, undefined, 401, 'unauthorized'],
  ['no Authorization on complete', 'POST', complete, {}, undefined, 401, 'unauthorized'],
  ['a key without queues:write on leave', 'DELETE', ticket, bearer(keys.queueAdmin), undefined, 403, 'forbidden'],
  ['a key without queues:write on complete', 'POST', complete, admin, '{}', 403, 'forbidden'],
  // verify (no key needed, so none of these is about keys)
  ['verify without a token', 'POST', verify, json, '{}', 400, 'invalid_request', 'body.token'],
  ['verify with an empty token', 'POST', verify, json, body({ token: '' }), 400, 'invalid_request', 'body.token'],
  [
    'verify with a token of 2049 characters',
    'POST',
    verify,
    json,
    body({ token: 'a'.repeat(2049) }),
    400,
    'invalid_request',
    'body.token',
  ],
  ['verify with a number as token', 'POST', verify, json, body({ token: 12345 }), 400, 'invalid_request', 'body.token'],
  [
    'verify with an array as token',
    'POST',
    verify,
    json,
    body({ token: ['a.b.c'] }),
    400,
    'invalid_request',
    'body.token',
  ],
  [
    'verify with a token outside base64url and dots',
    'POST',
    verify,
    json,
    body({ token: 'a.b+c/d=' }),
    400,
    'invalid_request',
    'body.token',
  ],
  [
    'verify with an unknown field',
    'POST',
    verify,
    json,
    body({ token: 'a.b.c', ticketId }),
    400,
    'invalid_request',
    'body.ticketId',
  ],
  ['verify with malformed JSON', 'POST', verify, json, '{"token": ', 400, 'malformed_json'],
  ['verify with no body', 'POST', verify, {}, undefined, 400, 'invalid_request'],
  [
    'verify with an oversized body',
    'POST',
    verify,
    json,
    body({ token: 'a.b.c', pad: 'x'.repeat(70 * 1024) }),
    413,
    'payload_too_large',
  ],
  [
    'verify with a bad queue id',
    'POST',
    '/v1/queues/a%20b/admissions/verify',
    json,
    body({ token: 'a.b.c' }),
    400,
    'invalid_request',
    'params.queueId',
  ],
];

describe('bad input to the queue routes', () => {
  it('valid configure, join, leave and complete are written (so nothing written below proves refusal, not a broken pipe)', async () => {
    const send = (method: string, path: string, headers: Record<string, string>, raw?: string) =>
      call(method, path, { headers, ...(raw === undefined ? {} : { body: raw }) });
    expect((await send('PUT', queue, admin, body(validConfigure))).status).toBe(202);
    expect(await send('POST', tickets, writer, body(validJoin))).toMatchObject({
      status: 202,
      body: {
        id: 'app:1',
        ticketId: expect.stringMatching(/^t_[0-9a-f]{32}$/),
        ticketSecret: expect.stringMatching(/^ts_[A-Za-z0-9_-]{43}$/),
      },
    });
    expect((await send('DELETE', ticket, bearer(keys.queues))).status).toBe(202);
    expect((await send('POST', complete, writer, '{}')).status).toBe(202);
    expect(topics.queueCommands.records).toHaveLength(4);
  });

  it.each(cases)(
    '%s: %s %s answers exactly the expected 4xx in the error shape, and writes nothing',
    async (_what, method, path, headers, raw, status, error, field) => {
      const before = recordCounts(topics);
      const answer = await call(method, path, { headers, ...(raw === undefined ? {} : { body: raw }) });
      expectProblem(answer, status, error);
      if (field !== undefined) expect(detailFields(answer)).toContain(field);
      expect(recordCounts(topics)).toEqual(before);
    },
  );

  it('wrote nothing for any of them: only the four valid commands, keyed by queue, on the queue commands topic alone', () => {
    expect(topics.queueCommands.records.map((r) => [r.key, r.value.kind])).toEqual([
      ['concert-1', 'CONFIGURE'],
      ['concert-1', 'JOIN'],
      ['concert-1', 'LEAVE'],
      ['concert-1', 'COMPLETE'],
    ]);
    expect(recordCounts(topics)).toEqual({
      heartbeats: 0,
      itemEvents: 0,
      walletCommands: 0,
      queueCommands: 4,
      pollDefinitions: 0,
    });
  });

  it('says what is wrong with a capacity and a ticket id', async () => {
    const capacity = await call('PUT', queue, { headers: admin, body: configure({ capacity: 100_001 }) });
    expect(capacity.body.details).toEqual([{ field: 'body.capacity', message: 'must be at most 100000' }]);
    const leave = await call('DELETE', `${tickets}/t_123`, { headers: writer });
    expect(leave.body.details).toEqual([
      { field: 'params.ticketId', message: 'must match ^t_([0-9a-f]{24}|[0-9a-f]{32})$' },
    ]);
  });

  it('takes every setting of the waiting room, and draws a fresh pre-queue seed per configure', async () => {
    const opensAt = Date.now() + 3_600_000;
    const settings = {
      capacity: 100,
      activeSeconds: 180,
      admitPerMinute: 600,
      opensAt,
      abandonSeconds: 60,
      paused: true,
    };
    for (const _ of [1, 2])
      expect((await call('PUT', queue, { headers: admin, body: body(settings) })).status).toBe(202);
    const [first, second] = topics.queueCommands.records.slice(-2).map((r) => r.value);
    expect(first).toMatchObject({
      kind: 'CONFIGURE',
      capacity: 100,
      activeSeconds: 180,
      admitPerMinute: 600,
      opensAtMs: opensAt,
      abandonSeconds: 60,
      paused: true,
    });
    expect(first!.preQueueSeed).toMatch(/^[0-9a-f]{32}$/);
    expect(second!.preQueueSeed).not.toBe(first!.preQueueSeed);
    // a PUT: what it leaves out is unset
    expect((await call('PUT', queue, { headers: admin, body: body(validConfigure) })).status).toBe(202);
    expect(topics.queueCommands.records.at(-1)!.value).toMatchObject({
      admitPerMinute: null,
      opensAtMs: null,
      abandonSeconds: null,
      paused: false,
    });
  });
});
