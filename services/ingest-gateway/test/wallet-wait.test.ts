import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '@tally/testkit';
import { startFakeLedger, type FakeLedger } from './fixtures/fake-ledger.js';
import { bearer, call, gatewayForThisFile, json, keys, startTestGateway } from './fixtures/gateway.js';

/** The write deadline: the acknowledgement and the wait for the outcome end by then, together. */
const DEADLINE_MS = 1500;
const world = gatewayForThisFile('wallet-wait', { WRITE_DEADLINE_MS: String(DEADLINE_MS) });

const transact = (userId: string, body: unknown, query = '?wait=true') =>
  call(world().base, 'POST', `/v1/wallets/${userId}/transactions${query}`, {
    headers: { ...json, ...bearer(keys.wallets) },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  // outcomes published before the gateway reads from the newest offset would be missed: wait until it does
  await world().gateway.walletOutcomesListening();
});

describe('?wait=true while no ledger answers', () => {
  it('answers 202 pending at the write deadline, the command acknowledged all the same', async () => {
    const started = Date.now();
    const answer = await transact('nobody-home', {
      source: 'app',
      seq: 1,
      type: 'credit',
      asset: 'points',
      amount: '5',
    });
    const waited = Date.now() - started;
    expect(answer).toMatchObject({ status: 202, body: { id: 'app:1', status: 'pending' } });
    expect(Object.keys(answer.body).sort()).toEqual(['id', 'status']);
    expect(waited).toBeGreaterThanOrEqual(DEADLINE_MS);
    expect(waited).toBeLessThan(DEADLINE_MS + 2000);
    expect(await world().walletCommands.count()).toBe(1);
  });
});

describe('?wait=true with a ledger answering', () => {
  let ledger: FakeLedger;

  beforeAll(async () => {
    ledger = await startFakeLedger(inject('stack'), {
      commands: world().walletCommands.topic,
      outcomes: world().walletOutcomes.topic,
    });
  });

  afterAll(async () => {
    await ledger?.close();
  });

  it('answers 200 with the outcome and the balance after it as a decimal string', async () => {
    const credit = await transact('alice', { source: 'shop', seq: 1, type: 'credit', asset: 'KRW', amount: '12.3' });
    expect(credit).toMatchObject({ status: 200, body: { id: 'shop:1', status: 'applied', balance: '12.30' } });
    // with what pending holds keep of it, and the rest: the stand-in ledger holds nothing
    expect(credit.body).toEqual({
      id: 'shop:1',
      status: 'applied',
      balance: '12.30',
      available: '12.30',
      held: '0.00',
    });
    const debit = await transact('alice', { source: 'shop', seq: 2, type: 'debit', asset: 'KRW', amount: '0.05' });
    expect(debit).toMatchObject({ status: 200, body: { id: 'shop:2', status: 'applied', balance: '12.25' } });
  });

  it('answers 200 rejected with the reason when the ledger refuses', async () => {
    const debit = await transact('bob', { source: 'shop', seq: 3, type: 'debit', asset: 'KRW', amount: '1' });
    expect(debit).toEqual(
      expect.objectContaining({
        status: 200,
        body: {
          id: 'shop:3',
          status: 'rejected',
          balance: '0.00',
          available: '0.00',
          held: '0.00',
          reason: 'insufficient_funds',
        },
      }),
    );
  });

  it("hears each user's own outcome when many wait at once", async () => {
    const users = Array.from({ length: 20 }, (_, i) => `crowd-${i}`);
    const answers = await Promise.all(
      users.map((user, i) =>
        transact(user, { source: 'crowd', seq: 1, type: 'credit', asset: 'gems', amount: `${i + 1}` }),
      ),
    );
    expect(answers.map((a) => [a.status, a.body.balance])).toEqual(users.map((_, i) => [200, `${i + 1}.00`]));
    expect(answers.every((a) => a.body.id === 'crowd:1')).toBe(true);
  });

  it('without ?wait=true still answers 202 as soon as Kafka acknowledged', async () => {
    expect(await transact('carol', { source: 'shop', seq: 4, type: 'credit', asset: 'KRW', amount: '1' }, '')).toEqual(
      expect.objectContaining({ status: 202, body: { id: 'shop:4' } }),
    );
    expect(
      await transact('carol', { source: 'shop', seq: 5, type: 'credit', asset: 'KRW', amount: '1' }, '?wait=false'),
    ).toEqual(expect.objectContaining({ status: 202, body: { id: 'shop:5' } }));
  });
});

describe('?wait=true when the gateway shuts down', () => {
  it('answers a request still waiting 202 pending at once, instead of holding the shutdown for the whole wait', async () => {
    const patient = await startTestGateway(inject('stack'), 'wallet-wait-shutdown', { WRITE_DEADLINE_MS: '30000' });
    const headers = { ...json, ...bearer(keys.wallets) };
    const waiting = call(patient.base, 'POST', '/v1/wallets/u/transactions?wait=true', {
      headers,
      body: JSON.stringify({ source: 's', seq: 1, type: 'credit', asset: 'KRW', amount: '1' }),
    });
    // the command is acknowledged, so the request is now waiting for its outcome
    expect(await eventually(async () => (await patient.walletCommands.count()) === 1, 10_000)).toBe(true);
    const closing = Date.now();
    await patient.close();
    expect(await waiting).toMatchObject({ status: 202, body: { id: 's:1', status: 'pending' } });
    expect(Date.now() - closing).toBeLessThan(5000);
  });
});
