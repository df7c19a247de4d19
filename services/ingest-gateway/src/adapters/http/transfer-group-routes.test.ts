/**
 * Transfers and linked groups, and the asset rules every wallet write follows (ASSETS: which assets, at what
 * scale, up to what amount), through app.inject and memory topics: each valid write is the one record it should
 * be, and each bad one is answered its 400 in the error shape and writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { AssetCatalogue } from '@tally/money';
import { bearer, json, keys } from '../../test-support/keys.js';
import { detailFields, expectProblem } from '../../test-support/problem.js';
import { recordCounts, unitGatewayForThisFile } from '../../test-support/unit-gateway.js';

/** KRW in whole won, points in hundredths up to 1000.00 an amount, gems in hundredths. */
const assets = AssetCatalogue.parse(
  '{"KRW":{"scale":0},"points":{"scale":2,"maxAmount":"1000.00"},"gems":{"scale":2}}',
);
const COUNTED = 'this ledger counts: KRW, points, gems';
const { topics, call } = unitGatewayForThisFile([], { assets, clock: () => 1_700_000_000_000 });

const withKey = { ...json, ...bearer(keys.wallets) };
const post = (path: string, body: unknown, headers: Record<string, string> = withKey) =>
  call('POST', path, { headers, body: JSON.stringify(body) });

const transfers = '/v1/transfers';
const groups = '/v1/wallets/groups';
const transactions = '/v1/wallets/user-1/transactions';
const grants = '/v1/wallets/grants';
const validTransfer = { source: 'p2p', seq: 1, from: 'alice', to: 'bob', asset: 'KRW', amount: '5000', reason: 'rent' };
const validGroup = {
  source: 'shop',
  seq: 2,
  reason: 'checkout 17',
  members: [
    { type: 'transfer', from: 'buyer', to: 'seller', asset: 'KRW', amount: '9000' },
    { type: 'debit', userId: 'buyer', asset: 'points', amount: '1.50', reason: 'points used' },
    { type: 'credit', userId: 'seller', asset: 'gems', amount: '2' },
  ],
};
const member = (i: number, change: Record<string, unknown>) => ({
  ...validGroup,
  members: validGroup.members.map((m, j) => (j === i ? { ...m, ...change } : m)),
});
const without = (value: Record<string, unknown>, field: string) =>
  Object.fromEntries(Object.entries(value).filter(([k]) => k !== field));

/** [what, path, body, the field named in the details, its message (when the test pins it)] */
type Case = [string, string, unknown, string, string?];

const cases: Case[] = [
  // transfers
  [
    'a transfer to oneself',
    transfers,
    { ...validTransfer, to: 'alice' },
    'body.to',
    'must differ from from: a transfer to oneself moves nothing',
  ],
  [
    'a transfer of an unknown asset',
    transfers,
    { ...validTransfer, asset: 'gold' },
    'body.asset',
    `unknown asset gold; ${COUNTED}`,
  ],
  ['a transfer of 0', transfers, { ...validTransfer, amount: '0' }, 'body.amount', 'must be greater than 0'],
  ['a transfer of -5', transfers, { ...validTransfer, amount: '-5' }, 'body.amount'],
  [
    'a transfer of 0.00',
    transfers,
    { ...validTransfer, asset: 'points', amount: '0.00' },
    'body.amount',
    'must be greater than 0',
  ],
  [
    'a transfer of KRW with decimals',
    transfers,
    { ...validTransfer, amount: '12.5' },
    'body.amount',
    'must be a whole number (this asset has no decimal places), such as "1234"',
  ],
  [
    'a transfer of points with 3 decimals',
    transfers,
    { ...validTransfer, asset: 'points', amount: '1.005' },
    'body.amount',
    'must have at most 2 digits after the point, such as "12.34"',
  ],
  [
    'a transfer above the maxAmount of points',
    transfers,
    { ...validTransfer, asset: 'points', amount: '1000.01' },
    'body.amount',
    'must be at most 1000.00',
  ],
  [
    'a transfer amount as a JSON number',
    transfers,
    { ...validTransfer, amount: 5000 },
    'body.amount',
    'must be a string',
  ],
  ['a transfer without to', transfers, without(validTransfer, 'to'), 'body.to', 'is required'],
  ['a transfer without from', transfers, without(validTransfer, 'from'), 'body.from', 'is required'],
  ['a transfer with a userId', transfers, { ...validTransfer, userId: 'alice' }, 'body.userId', 'is not a known field'],
  ['a transfer to a bad id', transfers, { ...validTransfer, to: 'b o b' }, 'body.to'],
  // the same asset rules on the writes that came before
  [
    'a transaction of an unknown asset',
    transactions,
    { source: 's', seq: 1, type: 'credit', asset: 'USD', amount: '1' },
    'body.asset',
    `unknown asset USD; ${COUNTED}`,
  ],
  [
    'a transaction of KRW with decimals',
    transactions,
    { source: 's', seq: 1, type: 'credit', asset: 'KRW', amount: '1.5' },
    'body.amount',
  ],
  [
    'a grant above the maxAmount',
    grants,
    { source: 's', seq: 1, asset: 'points', amount: '5000', userIds: ['a'] },
    'body.amount',
    'must be at most 1000.00',
  ],
  // groups
  [
    'a group member of an unknown asset',
    groups,
    member(2, { asset: 'gold' }),
    'body.members.2.asset',
    `unknown asset gold; ${COUNTED}`,
  ],
  [
    'a group member transferring to itself',
    groups,
    member(0, { to: 'buyer' }),
    'body.members.0.to',
    'must differ from from: a transfer to oneself moves nothing',
  ],
  ['a group member with too many decimals', groups, member(0, { amount: '9000.5' }), 'body.members.0.amount'],
  ['a group member of 0', groups, member(1, { amount: '0' }), 'body.members.1.amount', 'must be greater than 0'],
  [
    'a group member above the maxAmount',
    groups,
    member(1, { amount: '1000.01' }),
    'body.members.1.amount',
    'must be at most 1000.00',
  ],
  ['a transfer member without to', groups, member(0, { to: undefined }), 'body.members.0.to', 'is required'],
  ['a credit member with a to', groups, member(2, { to: 'buyer' }), 'body.members.2.to', 'is not a known field'],
  ['a credit member without userId', groups, member(2, { userId: undefined }), 'body.members.2.userId', 'is required'],
  [
    'a member of type refund',
    groups,
    member(1, { type: 'refund' }),
    'body.members.1.type',
    'must be one of credit, debit, transfer',
  ],
  ['a member without type', groups, member(1, { type: undefined }), 'body.members.1.type', 'is required'],
  ['a member that is no object', groups, { ...validGroup, members: ['credit'] }, 'body.members.0', 'must be an object'],
  ['a group without members', groups, { ...validGroup, members: [] }, 'body.members', 'must hold at least 1 items'],
  [
    'a group of 101 members',
    groups,
    { ...validGroup, members: Array.from({ length: 101 }, () => validGroup.members[2]) },
    'body.members',
    'must hold at most 100 items',
  ],
  ['a group with an asset of its own', groups, { ...validGroup, asset: 'KRW' }, 'body.asset', 'is not a known field'],
];

describe('transfers and linked groups', () => {
  it('a transfer is one TRANSFER command keyed by its sender', async () => {
    expect(await post(transfers, validTransfer)).toMatchObject({ status: 202, body: { id: 'p2p:1' } });
    expect(topics.walletCommands.records.at(-1)).toEqual({
      key: 'alice',
      value: {
        source: 'p2p',
        seq: 1,
        userId: 'alice',
        type: 'TRANSFER',
        asset: 'KRW',
        amountMinor: 5000,
        reason: 'rent',
        grant: false,
        receivedAtMs: 1_700_000_000_000,
        to: 'bob',
        holdId: null,
        timeoutMs: null,
        members: [],
        grantDigest: null,
      },
    });
  });

  it("a group is one GROUP command keyed by its first member's user, every member read at its asset's scale", async () => {
    expect(await post(groups, validGroup)).toMatchObject({ status: 202, body: { id: 'shop:2' } });
    expect(topics.walletCommands.records.at(-1)).toEqual({
      key: 'buyer',
      value: {
        source: 'shop',
        seq: 2,
        userId: 'buyer',
        type: 'GROUP',
        asset: '',
        amountMinor: 0,
        reason: 'checkout 17',
        grant: false,
        receivedAtMs: 1_700_000_000_000,
        to: null,
        holdId: null,
        timeoutMs: null,
        members: [
          { userId: 'buyer', type: 'TRANSFER', asset: 'KRW', amountMinor: 9000, to: 'seller', reason: null },
          { userId: 'buyer', type: 'DEBIT', asset: 'points', amountMinor: 150, to: null, reason: 'points used' },
          { userId: 'seller', type: 'CREDIT', asset: 'gems', amountMinor: 200, to: null, reason: null },
        ],
        grantDigest: null,
      },
    });
  });

  it("a grant's every credit carries the digest of its users; amounts at the asset's scale", async () => {
    const grant = { source: 'chat', seq: 3, asset: 'KRW', amount: '100', userIds: ['u2', 'u1'] };
    expect(await post(grants, grant)).toMatchObject({ status: 202, body: { id: 'chat:3', users: 2 } });
    const credits = topics.walletCommands.values.slice(-2);
    expect(credits.map((c) => [c.userId, c.amountMinor, c.grant])).toEqual([
      ['u2', 100, true],
      ['u1', 100, true],
    ]);
    expect(credits[0]!.grantDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(credits[1]!.grantDigest).toBe(credits[0]!.grantDigest);
  });

  it.each(cases)('%s: 400 naming the field, and nothing written', async (_what, path, body, field, message) => {
    const before = recordCounts(topics);
    const answer = await post(path, body);
    expectProblem(answer, 400, 'invalid_request');
    expect(detailFields(answer)).toContain(field);
    if (message !== undefined) expect(answer.body.details).toContainEqual({ field, message });
    expect(recordCounts(topics)).toEqual(before);
  });

  it('answers a problem found past the schema in the same words as a schema violation', async () => {
    const answer = await post(transfers, { ...validTransfer, asset: 'points', amount: '1000.01' });
    expect(answer.body).toEqual({
      error: 'invalid_request',
      message: 'the request is invalid: body.amount must be at most 1000.00',
      details: [{ field: 'body.amount', message: 'must be at most 1000.00' }],
    });
    // one bad member refuses the whole group, naming every bad member
    const two = await post(groups, member(0, { to: 'buyer', asset: 'gold' }));
    expect(two.body.details).toEqual([
      { field: 'body.members.0.to', message: 'must differ from from: a transfer to oneself moves nothing' },
      { field: 'body.members.0.asset', message: `unknown asset gold; ${COUNTED}` },
    ]);
  });

  it("tells a member's bad type once, and judges each member by the shape its type names", async () => {
    expect((await post(groups, member(1, { type: 'refund' }))).body.details).toEqual([
      { field: 'body.members.1.type', message: 'must be one of credit, debit, transfer' },
    ]);
    expect((await post(groups, member(2, { type: 'transfer' }))).body.details).toEqual([
      { field: 'body.members.2.from', message: 'is required' },
      { field: 'body.members.2.to', message: 'is required' },
      { field: 'body.members.2.userId', message: 'is not a known field' },
    ]);
  });

  it('refuses transfers and groups to a key without wallets:write', async () => {
    const counters = { ...json, ...bearer(keys.counters) };
    expectProblem(await post(transfers, validTransfer, counters), 403, 'forbidden');
    expectProblem(await post(groups, validGroup, counters), 403, 'forbidden');
    expectProblem(await post(transfers, validTransfer, json), 401, 'unauthorized');
  });

  it('wrote only the valid writes', () => {
    expect(topics.walletCommands.values.map((c) => `${c.type}:${c.source}:${c.seq}:${c.userId}`)).toEqual([
      'TRANSFER:p2p:1:alice',
      'GROUP:shop:2:buyer',
      'CREDIT:chat:3:u2',
      'CREDIT:chat:3:u1',
    ]);
  });
});
