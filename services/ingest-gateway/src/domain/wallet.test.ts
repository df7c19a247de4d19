import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AssetCatalogue } from '@tally/money';
import {
  ASSET_PATTERN,
  REASON_PATTERN,
  grantDigest,
  groupUsers,
  toCaptureCommand,
  toGrantCommands,
  toGroupCommand,
  toHoldCommand,
  toReleaseCommand,
  toTransactionCommand,
  toTransferCommand,
  walletWriteId,
} from './wallet.js';

const assets = AssetCatalogue.parse('{"points":{"scale":2},"KRW":{"scale":0},"gems":{"scale":2},"BTC":{"scale":8}}');
const receivedAt = 1_700_000_000_000;

/** What every command carries when its kind does not fill it in. */
const empty = {
  asset: '',
  amountMinor: 0,
  reason: null,
  grant: false,
  receivedAtMs: receivedAt,
  to: null,
  holdId: null,
  timeoutMs: null,
  members: [],
  grantDigest: null,
};

describe('a wallet request becomes WalletCommand records', () => {
  it("a transaction names the user, reads the amount at the asset's scale and stamps the receipt time", () => {
    expect(
      toTransactionCommand(
        'user-1',
        { source: 'shop', seq: 42, type: 'debit', asset: 'points', amount: '12.3', reason: 'gift card' },
        assets,
        receivedAt,
      ),
    ).toEqual({
      ...empty,
      source: 'shop',
      seq: 42,
      userId: 'user-1',
      type: 'DEBIT',
      asset: 'points',
      amountMinor: 1230,
      reason: 'gift card',
    });
    const credit = { source: 's', seq: 0, type: 'credit', asset: 'KRW', amount: '1234' } as const;
    expect(toTransactionCommand('u', credit, assets, receivedAt)).toMatchObject({ type: 'CREDIT', amountMinor: 1234 });
    const satoshi = { ...credit, asset: 'BTC', amount: '0.00000001' };
    expect(toTransactionCommand('u', satoshi, assets, receivedAt).amountMinor).toBe(1);
  });

  it('never builds a command of an asset the catalogue does not count, or of an amount finer than its scale', () => {
    const credit = { source: 's', seq: 0, type: 'credit', asset: 'gold', amount: '1' } as const;
    expect(() => toTransactionCommand('u', credit, assets, receivedAt)).toThrow(/unknown asset gold/);
    expect(() => toTransactionCommand('u', { ...credit, asset: 'KRW', amount: '1.5' }, assets, receivedAt)).toThrow(
      /whole number/,
    );
  });

  it("a grant is one credit per user, all named by the grant's (source, seq) and its users' digest, in the order given", () => {
    const commands = toGrantCommands(
      { source: 'chat-7', seq: 3, asset: 'gems', amount: '10', reason: 'chat reward', userIds: ['c', 'a', 'b'] },
      assets,
      receivedAt,
    );
    expect(commands.map((c) => c.userId)).toEqual(['c', 'a', 'b']);
    const digest = createHash('sha256').update('a\nb\nc').digest('hex');
    for (const command of commands) {
      expect(command).toEqual({
        ...empty,
        source: 'chat-7',
        seq: 3,
        userId: command.userId,
        type: 'CREDIT',
        asset: 'gems',
        amountMinor: 1000,
        reason: 'chat reward',
        grant: true,
        grantDigest: digest,
      });
    }
  });

  it("a grant's digest names its users whatever their order, and other users differently", () => {
    expect(grantDigest(['b', 'a'])).toBe(grantDigest(['a', 'b']));
    expect(grantDigest(['a', 'b'])).toMatch(/^[0-9a-f]{64}$/);
    expect(grantDigest(['a', 'c'])).not.toBe(grantDigest(['a', 'b']));
    // joined by a line break, which no id holds: ["a b"] and ["a", "b"] cannot collide
    expect(grantDigest(['ab'])).not.toBe(grantDigest(['a', 'b']));
  });

  it('a grant to 500 users at the same millisecond is 500 distinct commands (seed 004)', () => {
    const userIds = Array.from({ length: 500 }, (_, i) => `member-${i}`);
    const commands = toGrantCommands(
      { source: 'chat', seq: 1, asset: 'gems', amount: '1', userIds },
      assets,
      receivedAt,
    );
    expect(new Set(commands.map((c) => `${c.userId}/${walletWriteId(c)}`)).size).toBe(500);
  });

  it('a transfer is one command keyed by its sender, naming the receiver', () => {
    expect(
      toTransferCommand(
        { source: 'p2p', seq: 9, from: 'alice', to: 'bob', asset: 'KRW', amount: '5000' },
        assets,
        receivedAt,
      ),
    ).toEqual({
      ...empty,
      source: 'p2p',
      seq: 9,
      userId: 'alice',
      type: 'TRANSFER',
      asset: 'KRW',
      amountMinor: 5000,
      to: 'bob',
    });
  });

  it("a group is one command keyed by its first member's user, its members in order with their own assets", () => {
    const group = {
      source: 'shop',
      seq: 4,
      reason: 'checkout 17',
      members: [
        { type: 'transfer', from: 'buyer', to: 'seller', asset: 'KRW', amount: '9000' },
        { type: 'debit', userId: 'buyer', asset: 'points', amount: '1.5', reason: 'points used' },
        { type: 'credit', userId: 'seller', asset: 'gems', amount: '2' },
      ],
    } as const;
    expect(toGroupCommand({ ...group, members: [...group.members] }, assets, receivedAt)).toEqual({
      ...empty,
      source: 'shop',
      seq: 4,
      userId: 'buyer',
      type: 'GROUP',
      reason: 'checkout 17',
      members: [
        { userId: 'buyer', type: 'TRANSFER', asset: 'KRW', amountMinor: 9000, to: 'seller', reason: null },
        { userId: 'buyer', type: 'DEBIT', asset: 'points', amountMinor: 150, to: null, reason: 'points used' },
        { userId: 'seller', type: 'CREDIT', asset: 'gems', amountMinor: 200, to: null, reason: null },
      ],
    });
    expect(groupUsers({ ...group, members: [...group.members] })).toEqual(['buyer', 'seller']);
    const creditFirst = {
      source: 's',
      seq: 1,
      members: [{ type: 'credit', userId: 'u2', asset: 'gems', amount: '1' }],
    } as const;
    expect(toGroupCommand({ ...creditFirst, members: [...creditFirst.members] }, assets, receivedAt).userId).toBe('u2');
  });

  it('a hold carries its timeout in ms and its payee; a capture and a release name the hold', () => {
    const hold = { source: 'ride', seq: 1, asset: 'points', amount: '20', timeoutSeconds: 900, to: 'driver' };
    expect(toHoldCommand('rider', hold, assets, receivedAt)).toEqual({
      ...empty,
      source: 'ride',
      seq: 1,
      userId: 'rider',
      type: 'HOLD',
      asset: 'points',
      amountMinor: 2000,
      timeoutMs: 900_000,
      to: 'driver',
    });
    expect(toHoldCommand('rider', { ...hold, to: undefined }, assets, receivedAt).to).toBeNull();
    const capture = toCaptureCommand(
      'rider',
      'ride:1',
      { source: 'ride', seq: 2, asset: 'points', amount: '12.5' },
      assets,
      receivedAt,
    );
    expect(capture).toEqual({
      ...empty,
      source: 'ride',
      seq: 2,
      userId: 'rider',
      type: 'CAPTURE',
      asset: 'points',
      amountMinor: 1250,
      holdId: 'ride:1',
    });
    // no amount: all of the hold, in the hold's asset
    expect(toCaptureCommand('rider', 'ride:1', { source: 'ride', seq: 3 }, assets, receivedAt)).toMatchObject({
      asset: '',
      amountMinor: 0,
    });
    expect(toReleaseCommand('rider', 'ride:1', { source: 'ride', seq: 4, reason: 'cancelled' }, receivedAt)).toEqual({
      ...empty,
      source: 'ride',
      seq: 4,
      userId: 'rider',
      type: 'RELEASE',
      holdId: 'ride:1',
      reason: 'cancelled',
    });
  });

  it('answers with "<source>:<seq>"', () => {
    expect(walletWriteId({ source: 'app:eu', seq: 7 })).toBe('app:eu:7');
  });
});

describe('assets and reasons', () => {
  it('an asset is a letter, then up to 31 letters, digits or underscores', () => {
    for (const asset of ['KRW', 'points', 'gems_v2', 'a', `a${'b'.repeat(31)}`])
      expect(ASSET_PATTERN.test(asset), asset).toBe(true);
    for (const asset of ['', '1up', '_x', 'gold coins', 'a-b', `a${'b'.repeat(32)}`, 'pünkte'])
      expect(ASSET_PATTERN.test(asset), asset).toBe(false);
  });

  it('a reason is printable: no control characters or line breaks', () => {
    for (const reason of ['refund of order #12', 'prix 5 €', '채팅 보상 🎁'])
      expect(REASON_PATTERN.test(reason), reason).toBe(true);
    for (const reason of ['', 'a\nb', 'a\rb', 'tab\there', 'nul\u0000', 'bell\u0007', 'line\u2028sep', 'c1\u0085'])
      expect(REASON_PATTERN.test(reason), JSON.stringify(reason)).toBe(false);
  });
});
