/**
 * Holds, their captures and releases, through app.inject and memory topics: each valid write is the one record it
 * should be, and each bad one is answered its 400 in the error shape and writes nothing.
 */
import { describe, expect, it } from 'vitest';
import { AssetCatalogue } from '@tally/money';
import { bearer, json, keys } from '../../test-support/keys.js';
import { detailFields, expectProblem } from '../../test-support/problem.js';
import { recordCounts, unitGatewayForThisFile } from '../../test-support/unit-gateway.js';

const assets = AssetCatalogue.parse('{"KRW":{"scale":0},"points":{"scale":2,"maxAmount":"1000.00"}}');
const RECEIVED_AT = 1_700_000_000_000;
const { topics, call } = unitGatewayForThisFile([], { assets, clock: () => RECEIVED_AT });

const withKey = { ...json, ...bearer(keys.wallets) };
const post = (path: string, body: unknown, headers: Record<string, string> = withKey) =>
  call('POST', path, { headers, body: JSON.stringify(body) });

const holds = '/v1/wallets/rider/holds';
const capture = '/v1/wallets/rider/holds/ride:1/capture';
const release = '/v1/wallets/rider/holds/ride:1/release';
const validHold = { source: 'ride', seq: 1, asset: 'points', amount: '20.00', timeoutSeconds: 900, to: 'driver' };

/** What every command carries when its kind does not fill it in. */
const empty = {
  asset: '',
  amountMinor: 0,
  reason: null,
  grant: false,
  receivedAtMs: RECEIVED_AT,
  to: null,
  holdId: null,
  timeoutMs: null,
  members: [],
  grantDigest: null,
};

/** [what, path, body, the field named in the details, its message (when the test pins it)] */
type Case = [string, string, unknown, string, string?];

const cases: Case[] = [
  ...[0, -1, 604_801, 1.5, '60', null].map((timeoutSeconds): Case => [
    `timeoutSeconds ${JSON.stringify(timeoutSeconds)}`,
    holds,
    { ...validHold, timeoutSeconds },
    'body.timeoutSeconds',
  ]),
  [
    'a hold without timeoutSeconds',
    holds,
    { ...validHold, timeoutSeconds: undefined },
    'body.timeoutSeconds',
    'is required',
  ],
  [
    'a hold paying its own user',
    holds,
    { ...validHold, to: 'rider' },
    'body.to',
    'must differ from the user whose funds are held: a capture to oneself moves nothing',
  ],
  [
    'a hold of an unknown asset',
    holds,
    { ...validHold, asset: 'gold' },
    'body.asset',
    'unknown asset gold; this ledger counts: KRW, points',
  ],
  ['a hold of 0', holds, { ...validHold, amount: '0' }, 'body.amount', 'must be greater than 0'],
  ['a hold of KRW with decimals', holds, { ...validHold, asset: 'KRW', amount: '20.5' }, 'body.amount'],
  ['a hold above the maxAmount', holds, { ...validHold, amount: '1000.01' }, 'body.amount', 'must be at most 1000.00'],
  ['a hold with a holdId', holds, { ...validHold, holdId: 'ride:0' }, 'body.holdId', 'is not a known field'],
  [
    'a capture amount without its asset',
    capture,
    { source: 'ride', seq: 2, amount: '5.00' },
    'body.asset',
    "is required with amount: the amount is read at the asset's scale; it must be the hold's asset",
  ],
  [
    'a capture of 0',
    capture,
    { source: 'ride', seq: 2, asset: 'points', amount: '0.00' },
    'body.amount',
    'must be greater than 0',
  ],
  ['a capture with 3 decimals', capture, { source: 'ride', seq: 2, asset: 'points', amount: '0.001' }, 'body.amount'],
  ['a capture of an unknown asset', capture, { source: 'ride', seq: 2, asset: 'gold' }, 'body.asset'],
  ['a capture with a timeout', capture, { source: 'ride', seq: 2, timeoutSeconds: 5 }, 'body.timeoutSeconds'],
  ['a capture without a seq', capture, { source: 'ride' }, 'body.seq', 'is required'],
  [
    'a release with an amount',
    release,
    { source: 'ride', seq: 3, amount: '1.00' },
    'body.amount',
    'is not a known field',
  ],
  [
    'a hold id with a leading zero',
    '/v1/wallets/rider/holds/ride:01/capture',
    { source: 'ride', seq: 2 },
    'params.holdId',
    'must be written as the write was answered, without leading zeros in the seq',
  ],
  ['a hold id without a seq', '/v1/wallets/rider/holds/ride/release', { source: 'ride', seq: 3 }, 'params.holdId'],
  ['a bad user in the path', '/v1/wallets/a%20b/holds', validHold, 'params.userId'],
];

describe('holds', () => {
  it('a hold is one HOLD command of its user, with its timeout in ms and its payee', async () => {
    expect(await post(holds, validHold)).toMatchObject({ status: 202, body: { id: 'ride:1' } });
    expect(topics.walletCommands.records.at(-1)).toEqual({
      key: 'rider',
      value: {
        ...empty,
        source: 'ride',
        seq: 1,
        userId: 'rider',
        type: 'HOLD',
        asset: 'points',
        amountMinor: 2000,
        timeoutMs: 900_000,
        to: 'driver',
      },
    });
  });

  it('a capture names the hold and reads its amount at the asset’s scale; without an amount it captures all', async () => {
    const partial = { source: 'ride', seq: 2, asset: 'points', amount: '12.5', reason: 'fare' };
    expect(await post(capture, partial)).toMatchObject({ status: 202, body: { id: 'ride:2' } });
    expect(topics.walletCommands.records.at(-1)).toEqual({
      key: 'rider',
      value: {
        ...empty,
        source: 'ride',
        seq: 2,
        userId: 'rider',
        type: 'CAPTURE',
        asset: 'points',
        amountMinor: 1250,
        reason: 'fare',
        holdId: 'ride:1',
      },
    });
    expect(await post(capture, { source: 'ride', seq: 3 })).toMatchObject({ status: 202, body: { id: 'ride:3' } });
    expect(topics.walletCommands.values.at(-1)).toMatchObject({ type: 'CAPTURE', asset: '', amountMinor: 0 });
  });

  it('a release names the hold and carries no amount', async () => {
    expect(await post(release, { source: 'ride', seq: 4 })).toMatchObject({ status: 202, body: { id: 'ride:4' } });
    expect(topics.walletCommands.records.at(-1)).toEqual({
      key: 'rider',
      value: { ...empty, source: 'ride', seq: 4, userId: 'rider', type: 'RELEASE', holdId: 'ride:1' },
    });
  });

  it.each(cases)('%s: 400 naming the field, and nothing written', async (_what, path, body, field, message) => {
    const before = recordCounts(topics);
    const answer = await post(path, body);
    expectProblem(answer, 400, 'invalid_request');
    expect(detailFields(answer)).toContain(field);
    if (message !== undefined) expect(answer.body.details).toContainEqual({ field, message });
    expect(recordCounts(topics)).toEqual(before);
  });

  it('refuses every hold write to a key without wallets:write, and without a key', async () => {
    const counters = { ...json, ...bearer(keys.counters) };
    for (const [path, body] of [
      [holds, validHold],
      [capture, { source: 'ride', seq: 9 }],
      [release, { source: 'ride', seq: 9 }],
    ] as const) {
      expectProblem(await post(path, body, counters), 403, 'forbidden');
      expectProblem(await post(path, body, json), 401, 'unauthorized');
    }
  });

  it('wrote only the valid writes', () => {
    expect(topics.walletCommands.values.map((c) => `${c.type}:${c.source}:${c.seq}`)).toEqual([
      'HOLD:ride:1',
      'CAPTURE:ride:2',
      'CAPTURE:ride:3',
      'RELEASE:ride:4',
    ]);
  });
});
