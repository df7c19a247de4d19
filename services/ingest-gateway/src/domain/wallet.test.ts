import { describe, expect, it } from 'vitest';
import type { WalletOutcome } from '@tally/schemas';
import {
  ASSET_PATTERN,
  REASON_PATTERN,
  toGrantCommands,
  toTransactionCommand,
  toTransactionOutcome,
  walletWriteId,
} from './wallet.js';

describe('a wallet request becomes WalletCommand records', () => {
  const receivedAt = 1_700_000_000_000;

  it('a transaction names the user, reads the amount to minor units and stamps the receipt time', () => {
    expect(
      toTransactionCommand(
        'user-1',
        { source: 'shop', seq: 42, type: 'debit', asset: 'points', amount: '12.3', reason: 'gift card' },
        receivedAt,
      ),
    ).toEqual({
      source: 'shop',
      seq: 42,
      userId: 'user-1',
      type: 'DEBIT',
      asset: 'points',
      amountMinor: 1230,
      reason: 'gift card',
      grant: false,
      receivedAtMs: receivedAt,
    });
    expect(
      toTransactionCommand('u', { source: 's', seq: 0, type: 'credit', asset: 'KRW', amount: '0.05' }, receivedAt),
    ).toMatchObject({ type: 'CREDIT', amountMinor: 5, reason: null });
  });

  it("a grant is one credit per user, all named by the grant's (source, seq), in the order given", () => {
    const commands = toGrantCommands(
      { source: 'chat-7', seq: 3, asset: 'gems', amount: '10', reason: 'chat reward', userIds: ['a', 'b', 'c'] },
      receivedAt,
    );
    expect(commands.map((c) => c.userId)).toEqual(['a', 'b', 'c']);
    for (const command of commands) {
      expect(command).toEqual({
        source: 'chat-7',
        seq: 3,
        userId: command.userId,
        type: 'CREDIT',
        asset: 'gems',
        amountMinor: 1000,
        reason: 'chat reward',
        grant: true,
        receivedAtMs: receivedAt,
      });
    }
  });

  it('a grant to 500 users at the same millisecond is 500 distinct commands (seed 004)', () => {
    const userIds = Array.from({ length: 500 }, (_, i) => `member-${i}`);
    const commands = toGrantCommands({ source: 'chat', seq: 1, asset: 'gems', amount: '1', userIds }, receivedAt);
    expect(new Set(commands.map((c) => `${c.userId}/${walletWriteId(c)}`)).size).toBe(500);
  });

  it('answers with "<source>:<seq>"', () => {
    expect(walletWriteId({ source: 'app:eu', seq: 7 })).toBe('app:eu:7');
  });
});

describe('an outcome becomes the answer of ?wait=true', () => {
  const outcome: WalletOutcome = {
    id: 's:1',
    userId: 'u',
    type: 'DEBIT',
    asset: 'points',
    amountMinor: 500,
    status: 'REJECTED',
    reason: 'insufficient_funds',
    balanceMinor: 120,
    appliedAtMs: 1,
  };

  it('says the status in lower case and the balance as a decimal string', () => {
    expect(toTransactionOutcome(outcome)).toEqual({
      id: 's:1',
      status: 'rejected',
      balance: '1.20',
      reason: 'insufficient_funds',
    });
    expect(
      toTransactionOutcome({ ...outcome, status: 'APPLIED', reason: null, balanceMinor: 999_999_999_999_999 }),
    ).toEqual({ id: 's:1', status: 'applied', balance: '9999999999999.99' });
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
