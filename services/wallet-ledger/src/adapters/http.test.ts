import { describe, expect, it } from 'vitest';
import { listedProblem } from '@tally/contracts';
import { AssetCatalogue } from '@tally/money';
import { createLogger, opsApp } from '@tally/observability';
import { walletRoutes } from './http.js';
import type { LedgerStore } from './postgres-ledger.js';

/** The routes on a server that never listens (answered through inject), over an empty ledger. */
async function walletApp(failing = false) {
  const store = {
    accountsOf: failing
      ? () => Promise.reject(new Error('postgres is down'))
      : async () => new Map([['coins', { balanceMinor: 150n, heldMinor: 50n }]]),
    history: async () => [],
    transaction: async () => ({ entries: [], write: undefined, conflicts: [] }),
    hold: async () => undefined,
  } as unknown as LedgerStore;
  const app = opsApp(createLogger('test', 'silent'));
  walletRoutes({ store, now: () => 42, assets: AssetCatalogue.default() })(app);
  await app.ready();
  return app;
}

describe("wallet-ledger's reads", () => {
  it('answer a balance and a history', async () => {
    const app = await walletApp();
    expect((await app.inject('/v1/wallets/u')).json()).toEqual({
      userId: 'u',
      balances: { coins: '1.50' },
      available: { coins: '1.00' },
      held: { coins: '0.50' },
      asOf: 42,
    });
    expect((await app.inject('/v1/wallets/u/transactions')).json()).toEqual({ userId: 'u', transactions: [] });
  });

  it('refuse bad parameters with invalid_request, naming each field', async () => {
    const app = await walletApp();
    for (const [path, field] of [
      ['/v1/wallets/a%20b', 'params.userId'],
      ['/v1/wallets/u/transactions?limit=0', 'querystring.limit'],
      ['/v1/wallets/u/transactions?limit=101', 'querystring.limit'],
      ['/v1/wallets/u/transactions?since=1', 'querystring.since'],
      ['/v1/wallets/u/transactions/app:007', 'params.id'],
      ['/v1/wallets/u/transactions/app', 'params.id'],
      [`/v1/wallets/u/transactions/${'s'.repeat(65)}:1`, 'params.id'],
    ] as const) {
      const body = listedProblem(await app.inject(path));
      expect(body.error, path).toBe('invalid_request');
      expect(body.details, path).toEqual([{ field, message: expect.any(String) }]);
    }
  });

  it('answer not_found for a transaction it does not hold, unavailable when the ledger cannot be read', async () => {
    const app = await walletApp();
    expect(listedProblem(await app.inject('/v1/wallets/u/transactions/app:7'))).toEqual({
      error: 'not_found',
      message: 'no transaction app:7 of user u (yet)',
      details: [],
    });
    const failing = await walletApp(true);
    expect(listedProblem(await failing.inject('/v1/wallets/u')).error).toBe('unavailable');
  });
});
