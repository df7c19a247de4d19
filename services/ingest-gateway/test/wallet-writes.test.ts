import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { formatWriteKey } from '@tally/contracts';
import { bearer, call, gatewayForThisFile, json, keys } from './fixtures/gateway.js';

const receivedAt = 1_750_000_000_000;
// a pinned clock, so receivedAtMs can be checked exactly; any asset counted ("*"), so an asset's name is judged by its shape alone
const world = gatewayForThisFile('wallet-writes', { ASSETS: '{"*":{"scale":2}}' }, () => receivedAt);

/** The fields a credit or debit leaves empty (transfers, holds and groups fill them). */
const unused = { to: null, holdId: null, timeoutMs: null, members: [], grantDigest: null };

const post = (path: string, body: unknown) =>
  call(world().base, 'POST', path, { headers: { ...json, ...bearer(keys.wallets) }, body: JSON.stringify(body) });
const members = (count: number, prefix = 'member-') => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

describe('writing wallet transactions', () => {
  it('answers 202 with the write id once Kafka holds the WalletCommand, keyed by user, the amount in minor units', async () => {
    const writes: [string, unknown, string][] = [
      [
        '/v1/wallets/user-1/transactions',
        { source: 'shop:eu', seq: 1, type: 'credit', asset: 'KRW', amount: '12.3', reason: '충전 (top-up)' },
        'shop:eu:1',
      ],
      [
        '/v1/wallets/user-1/transactions',
        { source: 'shop:eu', seq: 2, type: 'debit', asset: 'KRW', amount: '0.05' },
        'shop:eu:2',
      ],
      [
        '/v1/wallets/user@example/transactions',
        { source: 'game', seq: 0, type: 'credit', asset: 'gems_v2', amount: '9999999999999.99' },
        'game:0',
      ],
      // a user called "grants" is a user like any other, despite POST /v1/wallets/grants beside this route
      [
        '/v1/wallets/grants/transactions',
        { source: 'edge', seq: 1, type: 'credit', asset: 'KRW', amount: '1' },
        'edge:1',
      ],
    ];
    for (const [path, body, id] of writes)
      expect(await post(path, body), path).toEqual(expect.objectContaining({ status: 202, body: { id } }));

    // acknowledged means already on the topic: read right away, no waiting for it to appear
    expect(await world().walletCommands.count()).toBe(writes.length);
    const byId = new Map((await world().walletCommands.records()).map((r) => [formatWriteKey(r.value), r]));
    expect(byId.get('shop:eu:1')).toEqual({
      key: 'user-1',
      value: {
        source: 'shop:eu',
        seq: 1,
        userId: 'user-1',
        type: 'CREDIT',
        asset: 'KRW',
        amountMinor: 1230,
        reason: '충전 (top-up)',
        grant: false,
        receivedAtMs: receivedAt,
        ...unused,
      },
    });
    expect(byId.get('shop:eu:2')).toEqual({
      key: 'user-1',
      value: {
        source: 'shop:eu',
        seq: 2,
        userId: 'user-1',
        type: 'DEBIT',
        asset: 'KRW',
        amountMinor: 5,
        reason: null,
        grant: false,
        receivedAtMs: receivedAt,
        ...unused,
      },
    });
    expect(byId.get('game:0')).toEqual({
      key: 'user@example',
      value: {
        source: 'game',
        seq: 0,
        userId: 'user@example',
        type: 'CREDIT',
        asset: 'gems_v2',
        amountMinor: 999_999_999_999_999,
        reason: null,
        grant: false,
        receivedAtMs: receivedAt,
        ...unused,
      },
    });
    expect(byId.get('edge:1')).toMatchObject({
      key: 'grants',
      value: { userId: 'grants', grant: false, amountMinor: 100 },
    });
  });
});

describe('writing grants', () => {
  it('credits 500 chat members at once: 500 records, one per member, keyed by member, all named by the grant (seed 004)', async () => {
    const before = await world().walletCommands.count();
    const userIds = members(500);
    const answer = await post('/v1/wallets/grants', {
      source: 'chat-7',
      seq: 1,
      asset: 'points',
      amount: '10',
      reason: 'chat reward',
      userIds,
    });
    expect(answer).toMatchObject({ status: 202, body: { id: 'chat-7:1', users: 500 } });
    expect(await world().walletCommands.count()).toBe(before + 500);

    const grant = (await world().walletCommands.records()).filter((r) => r.value.source === 'chat-7');
    expect(grant.map((r) => r.key).sort()).toEqual([...userIds].sort());
    for (const record of grant) {
      expect(record.value).toEqual({
        source: 'chat-7',
        seq: 1,
        userId: record.key,
        type: 'CREDIT',
        asset: 'points',
        amountMinor: 1000,
        reason: 'chat reward',
        grant: true,
        receivedAtMs: receivedAt,
        ...unused,
        // the grant's users, sorted, one per line: the ledger tells a reused grant id with other users by it
        grantDigest: createHash('sha256')
          .update([...userIds].sort().join('\n'))
          .digest('hex'),
      });
    }
  });

  it('takes the largest legal grant within its body limit: 1000 users with ids of 128 characters', async () => {
    const before = await world().walletCommands.count();
    const userIds = members(1000, '').map((n) => n.padStart(128, 'u'));
    expect(
      await post('/v1/wallets/grants', { source: 'big', seq: 1, asset: 'points', amount: '0.01', userIds }),
    ).toMatchObject({ status: 202, body: { id: 'big:1', users: 1000 } });
    expect(await world().walletCommands.count()).toBe(before + 1000);
  });

  it('writes nothing to the heartbeats or item-events topics', async () => {
    expect(await world().count()).toBe(0);
    expect(await world().itemEvents.count()).toBe(0);
  });
});
