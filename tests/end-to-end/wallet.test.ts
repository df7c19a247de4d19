/**
 * The wallet end to end, as deployed: ingest-gateway and wallet-ledger as their own processes against the real
 * Kafka, schema registry and Postgres; clients talk only to the gateway, and `?wait=true` answers with the
 * outcome the ledger published.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTopicsWithSchemas,
  freePort,
  stackEnvironment,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@tally/testkit';
import { TOPICS } from '@tally/contracts';

const stack = inject('stack');
const run = uniqueName('e2e-wallet');
const topics = {
  commands: `test.${run}.wallet-commands`,
  outcomes: `test.${run}.wallet-outcomes`,
  deadLetters: `test.${run}.dead-letters`,
};
const apiKey = {
  key: 'e2e-wallet-key-0123456789abcdef',
  name: 'e2e-wallet',
  scopes: ['wallets:write', 'wallets:read'],
};
/** A key for one tenant's users only (ids starting "acme:"), as a partner's backend would hold. */
const tenantKey = {
  key: 'e2e-wallet-tenant-key-0123456789abcdef',
  name: 'e2e-wallet-tenant',
  scopes: ['wallets:read'],
  users: ['acme:*'],
};
/** The same catalogue for both services: KRW in whole won, up to a billion; coins and BDP with two decimals. */
const ASSETS = JSON.stringify({ coins: { scale: 2 }, BDP: { scale: 2 }, KRW: { scale: 0, maxBalance: '1000000000' } });
const running: ServiceProcess[] = [];
let gateway: ServiceProcess;

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.commands, partitions: 6, schema: TOPICS.walletCommands.valueSchema },
    { name: topics.outcomes, partitions: 3, schema: TOPICS.walletOutcomes.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  ]);
  const ledgerPort = await freePort();
  running.push(
    await startServiceProcess('wallet-ledger', {
      ...stackEnvironment(stack),
      PORT: String(ledgerPort),
      CONSUMER_GROUP: `${run}-ledger`,
      WALLET_COMMANDS_TOPIC: topics.commands,
      WALLET_OUTCOMES_TOPIC: topics.outcomes,
      DLQ_TOPIC: topics.deadLetters,
      DB_SCHEMA: run.replace(/[^a-z0-9]/g, '_'),
      ASSETS,
      HOLD_EXPIRY_GRACE_MS: '0',
      HOLD_EXPIRY_TICK_MS: '200',
    }),
  );
  gateway = await startServiceProcess('ingest-gateway', {
    ...stackEnvironment(stack),
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey, tenantKey]),
    WALLET_COMMANDS_TOPIC: topics.commands,
    WALLET_OUTCOMES_TOPIC: topics.outcomes,
    WALLET_LEDGER_URL: `http://127.0.0.1:${ledgerPort}`,
    WRITE_DEADLINE_MS: '15000',
    ASSETS,
  });
  running.push(gateway);
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop('SIGTERM')));
});

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${gateway.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.key}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function read<T>(path: string): Promise<T> {
  const response = await fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${apiKey.key}` } });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

describe('the wallet through the gateway', () => {
  it('credits, an overdraft refused, a retry answered with the first outcome, with ?wait=true', async () => {
    const tx = (seq: number, type: string, amount: string) =>
      post('/v1/wallets/alice/transactions?wait=true', { source: 'shop', seq, type, asset: 'coins', amount });
    expect(await tx(1, 'credit', '12.34')).toMatchObject({
      status: 200,
      body: { id: 'shop:1', status: 'applied', balance: '12.34' },
    });
    expect(await tx(2, 'debit', '2.30')).toMatchObject({ status: 200, body: { status: 'applied', balance: '10.04' } });
    expect(await tx(3, 'debit', '10.05')).toMatchObject({
      status: 200,
      body: { status: 'rejected', reason: 'insufficient_funds', balance: '10.04' },
    });
    // the client did not hear the answer and sends seq 2 again: same outcome, no second debit
    expect(await tx(2, 'debit', '2.30')).toMatchObject({ status: 200, body: { status: 'applied', balance: '10.04' } });

    expect(await read('/v1/wallets/alice')).toMatchObject({ userId: 'alice', balances: { coins: '10.04' } });
    const history = await read<{ transactions: { id: string; status: string; balanceAfter: string }[] }>(
      '/v1/wallets/alice/transactions',
    );
    expect(history.transactions.map((t) => [t.id, t.status, t.balanceAfter])).toEqual([
      ['shop:3', 'rejected', '10.04'],
      ['shop:2', 'applied', '10.04'],
      ['shop:1', 'applied', '12.34'],
    ]);
    expect(await read('/v1/wallets/alice/transactions/shop:3')).toMatchObject({
      id: 'shop:3',
      status: 'rejected',
      reason: 'insufficient_funds',
    });
  });

  it('a grant to 500 chat members, twice at once with the same timestamp: every member has both, history exact', async () => {
    const userIds = Array.from({ length: 500 }, (_, i) => `member-${i}`);
    const grants = await Promise.all(
      [1, 2].map((seq) => post('/v1/wallets/grants', { source: 'chat', seq, asset: 'BDP', amount: '0.50', userIds })),
    );
    expect(grants.map((g) => g.status)).toEqual([202, 202]);
    for (const user of ['member-0', 'member-250', 'member-499']) {
      await expect
        .poll(async () => (await read<{ balances: Record<string, string> }>(`/v1/wallets/${user}`)).balances.BDP, {
          timeout: 30_000,
        })
        .toBe('1.00');
      const { transactions } = await read<{ transactions: { id: string }[] }>(`/v1/wallets/${user}/transactions`);
      expect(transactions.map((t) => t.id).sort()).toEqual(['chat:1', 'chat:2']);
    }
  });

  it('keeps a wallet private: no key is 401, a key without wallets:read or for another tenant is 403, the tenant reads its own', async () => {
    expect(
      (
        await post('/v1/wallets/acme:carol/transactions?wait=true', {
          source: 'shop',
          seq: 100,
          type: 'credit',
          asset: 'coins',
          amount: '5.00',
        })
      ).status,
    ).toBe(200);
    const status = async (path: string, key?: string) =>
      (await fetch(`${gateway.url}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {})).status;
    for (const path of [
      '/v1/wallets/alice',
      '/v1/wallets/alice/transactions',
      '/v1/wallets/alice/transactions/shop:1',
    ]) {
      expect(await status(path), path).toBe(401);
      expect(await status(path, 'e2e-wallet-not-a-key-0123456789'), path).toBe(401);
      expect(await status(path, tenantKey.key), path).toBe(403);
    }
    expect(await status('/v1/wallets/acme:carol', tenantKey.key)).toBe(200);
    expect(await status('/v1/wallets/acme:carol/transactions', tenantKey.key)).toBe(200);
  });

  it('an id reused with another amount is 409 id_reused, the balance unchanged; an identical retry still hears the first outcome', async () => {
    const tx = (amount: string) =>
      post('/v1/wallets/reuser/transactions?wait=true', {
        source: 'pay',
        seq: 1,
        type: 'credit',
        asset: 'coins',
        amount,
      });
    expect(await tx('5.00')).toMatchObject({ status: 200, body: { status: 'applied', balance: '5.00' } });
    const reused = await tx('500.00');
    expect(reused).toMatchObject({
      status: 409,
      body: { error: 'id_reused', id: 'pay:1', status: 'rejected', reason: 'id_reused_with_different_amount' },
    });
    expect(reused.body.message).toEqual(expect.any(String));
    expect(await tx('5.00')).toMatchObject({ status: 200, body: { status: 'applied', balance: '5.00' } });
    expect(await read('/v1/wallets/reuser')).toMatchObject({ balances: { coins: '5.00' } });
    expect(await read('/v1/wallets/reuser/transactions/pay:1')).toMatchObject({
      status: 'applied',
      amount: '5.00',
      conflicts: [{ reason: 'id_reused_with_different_amount', field: 'amount' }],
    });
  });

  it('transfers both ways or not at all, never overdrawing, with history on both sides', async () => {
    await post('/v1/wallets/payer/transactions?wait=true', {
      source: 'fund',
      seq: 1,
      type: 'credit',
      asset: 'KRW',
      amount: '10000',
    });
    const pay = (seq: number, amount: string) =>
      post('/v1/transfers?wait=true', {
        source: 'xfer',
        seq,
        from: 'payer',
        to: 'creator',
        asset: 'KRW',
        amount,
        reason: 'a gift',
      });
    expect(await pay(1, '7000')).toMatchObject({
      status: 200,
      body: { status: 'applied', balance: '3000', available: '3000' },
    });
    expect(await pay(2, '3001')).toMatchObject({
      status: 200,
      body: { status: 'rejected', reason: 'insufficient_funds', balance: '3000' },
    });
    expect(await read('/v1/wallets/creator')).toMatchObject({ balances: { KRW: '7000' } });
    expect(await read('/v1/wallets/creator/transactions/xfer:1')).toMatchObject({
      type: 'transfer',
      from: 'payer',
      to: 'creator',
      amount: '7000',
    });
    // bad input reaches no topic: to oneself, an unknown asset, decimals KRW does not have, zero
    for (const body of [
      { from: 'payer', to: 'payer', asset: 'KRW', amount: '1' },
      { from: 'payer', to: 'creator', asset: 'NOPE', amount: '1' },
      { from: 'payer', to: 'creator', asset: 'KRW', amount: '1.5' },
      { from: 'payer', to: 'creator', asset: 'KRW', amount: '0' },
      { from: 'payer', to: 'creator', asset: 'KRW', amount: '1000000001' },
    ]) {
      const answer = await post('/v1/transfers', { source: 'xfer', seq: 9, ...body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toBe('invalid_request');
    }
  });

  it('a linked purchase applies whole or not at all, and names the member that failed', async () => {
    await post('/v1/wallets/shopper/transactions?wait=true', {
      source: 'fund',
      seq: 2,
      type: 'credit',
      asset: 'coins',
      amount: '10.00',
    });
    const purchase = (seq: number, price: string) =>
      post('/v1/wallets/groups?wait=true', {
        source: 'checkout',
        seq,
        members: [
          { type: 'debit', userId: 'shopper', asset: 'coins', amount: price },
          { type: 'credit', userId: 'merchant', asset: 'coins', amount: '1.00' },
          { type: 'transfer', from: 'shopper', to: 'platform', asset: 'coins', amount: '1.00' },
        ],
      });
    expect(await purchase(1, '9.50')).toMatchObject({
      status: 200,
      body: { status: 'rejected', reason: 'insufficient_funds', member: 2 },
    });
    expect(await read('/v1/wallets/shopper')).toMatchObject({ balances: { coins: '10.00' } });
    expect(await purchase(2, '8.00')).toMatchObject({ status: 200, body: { status: 'applied', balance: '1.00' } });
    expect(await read('/v1/wallets/platform')).toMatchObject({ balances: { coins: '1.00' } });
  });

  it('a hold keeps funds until captured in part, and expires by itself', async () => {
    await post('/v1/wallets/guest/transactions?wait=true', {
      source: 'fund',
      seq: 3,
      type: 'credit',
      asset: 'coins',
      amount: '100.00',
    });
    const placed = await post('/v1/wallets/guest/holds?wait=true', {
      source: 'booking',
      seq: 1,
      asset: 'coins',
      amount: '60.00',
      timeoutSeconds: 600,
      to: 'hotel',
    });
    expect(placed).toMatchObject({
      status: 200,
      body: { id: 'booking:1', status: 'applied', balance: '100.00', held: '60.00', available: '40.00' },
    });
    expect(await read('/v1/wallets/guest')).toMatchObject({
      balances: { coins: '100.00' },
      available: { coins: '40.00' },
      held: { coins: '60.00' },
    });
    const captured = await post('/v1/wallets/guest/holds/booking:1/capture?wait=true', {
      source: 'checkout-hotel',
      seq: 1,
      amount: '45.00',
      asset: 'coins',
    });
    expect(captured).toMatchObject({ status: 200, body: { status: 'applied', balance: '55.00', held: '0.00' } });
    expect(await read('/v1/wallets/hotel')).toMatchObject({ balances: { coins: '45.00' } });
    expect(await read('/v1/wallets/guest/holds/booking:1')).toMatchObject({ status: 'captured', captured: '45.00' });
    // a capture larger than a hold, and one of a hold that has expired
    await post('/v1/wallets/guest/holds?wait=true', {
      source: 'booking',
      seq: 2,
      asset: 'coins',
      amount: '10.00',
      timeoutSeconds: 1,
    });
    expect(
      await post('/v1/wallets/guest/holds/booking:2/capture?wait=true', {
        source: 'checkout-hotel',
        seq: 2,
        amount: '10.01',
        asset: 'coins',
      }),
    ).toMatchObject({ status: 200, body: { status: 'rejected', reason: 'capture_exceeds_hold' } });
    await expect
      .poll(async () => (await read<{ status: string }>('/v1/wallets/guest/holds/booking:2')).status, {
        timeout: 15_000,
      })
      .toBe('expired');
    expect(
      await post('/v1/wallets/guest/holds/booking:2/capture?wait=true', { source: 'checkout-hotel', seq: 3 }),
    ).toMatchObject({ status: 200, body: { status: 'rejected', reason: 'hold_expired' } });
    expect(await read('/v1/wallets/guest')).toMatchObject({ available: { coins: '55.00' }, held: { coins: '0.00' } });
  });
});
