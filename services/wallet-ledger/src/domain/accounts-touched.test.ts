import { describe, expect, it } from 'vitest';
import { accountsTouched } from './accounts-touched.js';
import type { Hold } from './holds.js';
import { T0, capture, credit, group, hold, member, release, transfer } from './test-support.js';

const names = (accounts: { userId: string; asset: string }[]) =>
  [...new Set(accounts.map((a) => `${a.userId}/${a.asset}`))].sort();

const recorded: Hold = {
  id: 'app:h',
  userId: 'alice',
  asset: 'GEM',
  amountMinor: 10n,
  to: 'shop',
  expiresAtMs: T0 + 1,
  status: 'PENDING',
  capturedMinor: 0n,
  reason: null,
  requestedAtMs: T0,
};

describe('the accounts a batch locks', () => {
  it('names both sides of a transfer and every member of a group, receivers included', () => {
    const batch = [
      credit('a', 1n),
      transfer('b', 'c', 1n),
      group([member('d', 'DEBIT', 1n, { asset: 'GEM' }), member('e', 'TRANSFER', 1n, { to: 'f' })]),
    ];
    expect(names(accountsTouched(batch, new Map()))).toEqual(['a/BDP', 'b/BDP', 'c/BDP', 'd/GEM', 'e/BDP', 'f/BDP']);
  });

  it("names a capture's hold owner and payee, from the holds recorded or placed in the batch", () => {
    const placed = hold('bob', 5n, { to: 'shop' });
    const batch = [capture('alice', recorded.id), placed, release('bob', placed.id)];
    expect(names(accountsTouched(batch, new Map([[recorded.id, recorded]])))).toEqual([
      'alice/GEM',
      'bob/BDP',
      'shop/BDP',
      'shop/GEM',
    ]);
  });

  it('names the commanding user too, whose account a rejected capture shows (another user’s hold, none)', () => {
    const batch = [capture('mallory', recorded.id), capture('eve', 'app:none', 1n, { asset: 'BDP' })];
    expect(names(accountsTouched(batch, new Map([[recorded.id, recorded]])))).toEqual([
      'alice/GEM',
      'eve/BDP',
      'mallory/GEM',
      'shop/GEM',
    ]);
  });
});
