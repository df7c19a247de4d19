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
          seq: 1,
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
});
