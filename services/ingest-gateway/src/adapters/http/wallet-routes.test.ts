/**
 * Bad input to the wallet writes (transactions, grants), through app.inject and no servers: each case is answered exactly its 4xx in the
 * error shape, and writes nothing; the valid writes beside them are written, so "nothing" proves refusal.
 * (test/poll-bad-input.test.ts proves the same against the real broker.)
 */
import { describe, expect, it } from 'vitest';
import { bearer, json, keys } from '../../test-support/keys.js';
import { detailFields, expectProblem } from '../../test-support/problem.js';
import { recordCounts, unitGatewayForThisFile } from '../../test-support/unit-gateway.js';

const { topics, call } = unitGatewayForThisFile();

const withKey = { ...json, ...bearer(keys.wallets) };
const transactions = '/v1/wallets/user-1/transactions';
const grants = '/v1/wallets/grants';
const validTransaction = { source: 'shop', seq: 1, type: 'credit', asset: 'KRW', amount: '12.34' };
const validGrant = { source: 'chat', seq: 2, asset: 'points', amount: '10', userIds: ['a', 'b'] };

/** [what, path, headers, raw body, expected status, expected error code, the field named in the details] */
type Case = [string, string, Record<string, string>, string, number, string, string?];
const body = (value: unknown) => JSON.stringify(value);
const transaction = (change: Record<string, unknown>) => body({ ...validTransaction, ...change });
const grant = (change: Record<string, unknown>) => body({ ...validGrant, ...change });
const without = (value: Record<string, unknown>, field: string) =>
  body(Object.fromEntries(Object.entries(value).filter(([k]) => k !== field)));
const users = (count: number) => Array.from({ length: count }, (_, i) => `user-${i}`);

const badAmounts: [string, unknown][] = [
  ['1e3', '1e3'],
  ['0.001', '0.001'],
  ['-5', '-5'],
  ['NaN', 'NaN'],
  ['empty', ''],
  ['blank', '   '],
  ['1.', '1.'],
  ['.5', '.5'],
  ['00.5', '00.5'],
  ['0', '0'],
  ['0.00', '0.00'],
  ['25 digits', '1234567890123456789012345'],
  ['above 2^53 - 1 minor units', '90071992547409.92'],
  ['Infinity', 'Infinity'],
  ['a JSON number', 12.34],
  ['a JSON integer', 100],
  ['null', null],
];

const cases: Case[] = [
  ...badAmounts.map(([what, amount]): Case => [
    `amount ${what}`,
    transactions,
    withKey,
    transaction({ amount }),
    400,
    'invalid_request',
    'body.amount',
  ]),
  ['a grant amount 1e3', grants, withKey, grant({ amount: '1e3' }), 400, 'invalid_request', 'body.amount'],
  ['a grant amount as a JSON number', grants, withKey, grant({ amount: 10 }), 400, 'invalid_request', 'body.amount'],
  ['type refund', transactions, withKey, transaction({ type: 'refund' }), 400, 'invalid_request', 'body.type'],
  ['type CREDIT', transactions, withKey, transaction({ type: 'CREDIT' }), 400, 'invalid_request', 'body.type'],
  ['no type', transactions, withKey, without(validTransaction, 'type'), 400, 'invalid_request', 'body.type'],
  ['no asset', transactions, withKey, without(validTransaction, 'asset'), 400, 'invalid_request', 'body.asset'],
  ['no amount', transactions, withKey, without(validTransaction, 'amount'), 400, 'invalid_request', 'body.amount'],
  ['no source', transactions, withKey, without(validTransaction, 'source'), 400, 'invalid_request', 'body.source'],
  ['no seq', grants, withKey, without(validGrant, 'seq'), 400, 'invalid_request', 'body.seq'],
  [
    'an asset with a space',
    transactions,
    withKey,
    transaction({ asset: 'gold coins' }),
    400,
    'invalid_request',
    'body.asset',
  ],
  [
    'an asset starting with a digit',
    transactions,
    withKey,
    transaction({ asset: '1up' }),
    400,
    'invalid_request',
    'body.asset',
  ],
  [
    'an asset of 33 characters',
    grants,
    withKey,
    grant({ asset: `a${'b'.repeat(32)}` }),
    400,
    'invalid_request',
    'body.asset',
  ],
  [
    'a reason of 201 characters',
    transactions,
    withKey,
    transaction({ reason: 'r'.repeat(201) }),
    400,
    'invalid_request',
    'body.reason',
  ],
  [
    'a reason with a newline',
    transactions,
    withKey,
    transaction({ reason: 'line\nbreak' }),
    400,
    'invalid_request',
    'body.reason',
  ],
  ['an empty reason', grants, withKey, grant({ reason: '' }), 400, 'invalid_request', 'body.reason'],
  ['a null reason', transactions, withKey, transaction({ reason: null }), 400, 'invalid_request', 'body.reason'],
  ['seq as a string', transactions, withKey, transaction({ seq: '1' }), 400, 'invalid_request', 'body.seq'],
  ['a negative seq', grants, withKey, grant({ seq: -1 }), 400, 'invalid_request', 'body.seq'],
  [
    'an unknown field',
    transactions,
    withKey,
    transaction({ currency: 'KRW' }),
    400,
    'invalid_request',
    'body.currency',
  ],
  [
    'a userId in the body of a transaction',
    transactions,
    withKey,
    transaction({ userId: 'someone-else' }),
    400,
    'invalid_request',
    'body.userId',
  ],
  ['a type on a grant', grants, withKey, grant({ type: 'debit' }), 400, 'invalid_request', 'body.type'],
  [
    'a userId of 129 characters in the path',
    `/v1/wallets/${'u'.repeat(129)}/transactions`,
    withKey,
    body(validTransaction),
    400,
    'invalid_request',
    'params.userId',
  ],
  [
    'a userId with a space in the path',
    '/v1/wallets/a%20b/transactions',
    withKey,
    body(validTransaction),
    400,
    'invalid_request',
    'params.userId',
  ],
  ['no userIds', grants, withKey, without(validGrant, 'userIds'), 400, 'invalid_request', 'body.userIds'],
  ['empty userIds', grants, withKey, grant({ userIds: [] }), 400, 'invalid_request', 'body.userIds'],
  ['duplicate userIds', grants, withKey, grant({ userIds: ['a', 'b', 'a'] }), 400, 'invalid_request', 'body.userIds'],
  ['1001 userIds', grants, withKey, grant({ userIds: users(1001) }), 400, 'invalid_request', 'body.userIds'],
  [
    'a userId of 129 characters in a grant',
    grants,
    withKey,
    grant({ userIds: ['a', 'u'.repeat(129)] }),
    400,
    'invalid_request',
    'body.userIds.1',
  ],
  [
    'a userId with a newline in a grant',
    grants,
    withKey,
    grant({ userIds: ['a\nb'] }),
    400,
    'invalid_request',
    'body.userIds.0',
  ],
  ['a number among userIds', grants, withKey, grant({ userIds: ['a', 7] }), 400, 'invalid_request', 'body.userIds.1'],
  ['userIds as a string', grants, withKey, grant({ userIds: 'a,b' }), 400, 'invalid_request', 'body.userIds'],
  [
    '?wait=maybe',
    `${transactions}?wait=maybe`,
    withKey,
    body(validTransaction),
    400,
    'invalid_request',
    'querystring.wait',
  ],
  [
    '?wait=1&wait=0',
    `${transactions}?wait=true&wait=false`,
    withKey,
    body(validTransaction),
    400,
    'invalid_request',
    'querystring.wait',
  ],
  [
    'an unknown query field',
    `${transactions}?dryRun=true`,
    withKey,
    body(validTransaction),
    400,
    'invalid_request',
    'querystring.dryRun',
  ],
  [
    '?wait=true on a grant',
    `${grants}?wait=true`,
    withKey,
    body(validGrant),
    400,
    'invalid_request',
    'querystring.wait',
  ],
  ['malformed JSON', transactions, withKey, '{"source": "shop", ', 400, 'malformed_json'],
  ['an empty body on a grant', grants, withKey, '', 400, 'malformed_json'],
  ['a JSON array', grants, withKey, body([validGrant]), 400, 'invalid_request'],
  [
    'an oversized transaction',
    transactions,
    withKey,
    transaction({ reason: 'x'.repeat(70 * 1024) }),
    413,
    'payload_too_large',
  ],
  [
    'an oversized grant',
    grants,
    withKey,
    grant({ userIds: users(1000).map((u) => u.padEnd(300, 'x')) }),
    413,
    'payload_too_large',
  ],
  [
    'text/plain',
    transactions,
    { ...bearer(keys.wallets), 'content-type': 'text/plain' },
    body(validTransaction),
    415,
    'unsupported_media_type',
  ],
  ['no Authorization', transactions, json, body(validTransaction), 401, 'unauthorized'],
  ['no Authorization on a grant', grants, json, body(validGrant), 401, 'unauthorized'],
  [
    'a wrong key',
    transactions,
    { ...json, authorization: 'Bearer not-a-key-of-ours-at-all' },
    body(validTransaction),
    401,
    'unauthorized',
  ],
  [
    'a key without the wallets:write scope',
    transactions,
    { ...json, ...bearer(keys.counters) },
    body(validTransaction),
    403,
    'forbidden',
  ],
  [
    'a key without the wallets:write scope on a grant',
    grants,
    { ...json, ...bearer(keys.writer) },
    body(validGrant),
    403,
    'forbidden',
  ],
];

describe('bad input to the wallet routes', () => {
  it('a valid transaction and a valid grant are written (so nothing written below proves refusal, not a broken pipe)', async () => {
    expect(await call('POST', transactions, { headers: withKey, body: body(validTransaction) })).toMatchObject({
      status: 202,
      body: { id: 'shop:1' },
    });
    expect(await call('POST', grants, { headers: withKey, body: body(validGrant) })).toMatchObject({
      status: 202,
      body: { id: 'chat:2', users: 2 },
    });
    expect(topics.walletCommands.records).toHaveLength(3);
  });

  it.each(cases)(
    '%s: %s answers exactly the expected 4xx in the error shape, and writes nothing',
    async (_what, path, headers, raw, status, error, field) => {
      const before = recordCounts(topics);
      const answer = await call('POST', path, { headers, body: raw });
      expectProblem(answer, status, error);
      if (field !== undefined) expect(detailFields(answer)).toContain(field);
      expect(recordCounts(topics)).toEqual(before);
    },
  );

  it('wrote nothing for any of them: only the three valid commands, keyed by user, on the wallet commands topic alone', () => {
    expect(topics.walletCommands.records.map((r) => [r.key, r.value.source, r.value.grant])).toEqual([
      ['user-1', 'shop', false],
      ['a', 'chat', true],
      ['b', 'chat', true],
    ]);
    expect(recordCounts(topics)).toEqual({
      heartbeats: 0,
      itemEvents: 0,
      walletCommands: 3,
      queueCommands: 0,
      pollDefinitions: 0,
    });
  });

  it('says what is wrong with an amount, and which user id is repeated', async () => {
    const post = (path: string, raw: string) => call('POST', path, { headers: withKey, body: raw });
    expect((await post(transactions, transaction({ amount: '0.001' }))).body).toMatchObject({
      message: 'the request is invalid: body.amount must have at most 2 digits after the point, such as "12.34"',
      details: [{ field: 'body.amount', message: 'must have at most 2 digits after the point, such as "12.34"' }],
    });
    expect((await post(transactions, transaction({ amount: '0' }))).body.details).toEqual([
      { field: 'body.amount', message: 'must be greater than 0' },
    ]);
    expect((await post(transactions, transaction({ amount: 12.34 }))).body.details).toEqual([
      { field: 'body.amount', message: 'must be a string' },
    ]);
    expect((await post(grants, grant({ userIds: ['a', 'b', 'a'] }))).body.details).toEqual([
      { field: 'body.userIds', message: 'must not repeat an item (items 0 and 2 are the same)' },
    ]);
  });
});
