/**
 * What `?wait=true` answers once the ledger decided, through app.inject with the outcome waiters driven by hand
 * (the ledger's part played by the test): the key user's figures at the asset's scale, the failing member of a
 * group, and 409 id_reused for a (source, seq) already used for another write.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unlistedProblem } from '@tally/contracts';
import { AssetCatalogue } from '@tally/money';
import type { WalletCommand, WalletOutcome } from '@tally/schemas';
import { bearer, json, keys } from '../../test-support/keys.js';
import { MemoryRecordWriter } from '../../test-support/memory-record-writer.js';
import { injectCall, unitGateway } from '../../test-support/unit-gateway.js';
import { OutcomeWaiters } from '../kafka/outcome-waiters.js';

const assets = AssetCatalogue.parse('{"KRW":{"scale":0},"points":{"scale":2}}');
const outcomes = new OutcomeWaiters<WalletOutcome>();
const commands = new MemoryRecordWriter<WalletCommand>();
const headers = { ...json, ...bearer(keys.wallets) };
let app: FastifyInstance;

beforeAll(async () => {
  app = await unitGateway(
    Object.values(keys),
    {},
    {
      assets,
      walletCommands: commands,
      walletOutcomes: outcomes,
      writeDeadlineMs: 2000,
    },
  );
  await app.ready();
});
afterAll(async () => app.close());

/** An outcome as the ledger publishes it, for the command's key user. */
const outcomeOf = (command: WalletCommand, change: Partial<WalletOutcome>): WalletOutcome => ({
  id: `${command.source}:${command.seq}`,
  userId: command.userId,
  type: command.type,
  asset: command.asset,
  amountMinor: command.amountMinor,
  status: 'APPLIED',
  reason: null,
  balanceMinor: 0,
  appliedAtMs: 1,
  heldMinor: 0,
  conflict: false,
  member: null,
  to: command.to,
  holdId: command.holdId,
  expiresAtMs: null,
  ...change,
});

/**
 * Sends the write with ?wait=true and, once its command is produced, delivers the outcome `decide` makes of it
 * to whoever waits for (key user, id); answers the response and how many waited.
 */
async function decided(path: string, body: unknown, decide: (command: WalletCommand) => Partial<WalletOutcome>) {
  const before = commands.records.length;
  const answering = injectCall(app, 'POST', `${path}?wait=true`, { headers, body: JSON.stringify(body) });
  await until(() => commands.records.length > before && outcomes.size > 0);
  const command = commands.values.at(-1)!;
  const waited = outcomes.deliver(
    command.userId,
    `${command.source}:${command.seq}`,
    outcomeOf(command, decide(command)),
  );
  return { answer: await answering, waited, command };
}

describe('?wait=true once the ledger decided', () => {
  it("a transfer answers its sender's figures, waited for under the sender's key", async () => {
    const transfer = { source: 'p2p', seq: 1, from: 'alice', to: 'bob', asset: 'KRW', amount: '5000' };
    const { answer, waited, command } = await decided('/v1/transfers', transfer, () => ({
      balanceMinor: 12_000,
      heldMinor: 2_000,
    }));
    expect(command.userId).toBe('alice');
    expect(waited).toBe(1);
    expect(answer).toMatchObject({ status: 200 });
    expect(answer.body).toEqual({ id: 'p2p:1', status: 'applied', balance: '12000', available: '10000', held: '2000' });
  });

  it('a rejected group names its failing member, with the reason', async () => {
    const group = {
      source: 'shop',
      seq: 2,
      members: [
        { type: 'credit', userId: 'seller', asset: 'points', amount: '1' },
        { type: 'debit', userId: 'buyer', asset: 'points', amount: '5' },
      ],
    };
    const { answer } = await decided('/v1/wallets/groups', group, () => ({
      status: 'REJECTED',
      reason: 'insufficient_funds',
      member: 1,
      asset: 'points',
      balanceMinor: 250,
    }));
    expect(answer.body).toEqual({
      id: 'shop:2',
      status: 'rejected',
      balance: '2.50',
      available: '2.50',
      held: '0.00',
      reason: 'insufficient_funds',
      member: 1,
    });
  });

  it('a hold, a capture and a release each answer what is held and available after them', async () => {
    const hold = { source: 'ride', seq: 1, asset: 'points', amount: '20', timeoutSeconds: 60 };
    const held = await decided('/v1/wallets/rider/holds', hold, () => ({ balanceMinor: 5000, heldMinor: 2000 }));
    expect(held.answer.body).toEqual({
      id: 'ride:1',
      status: 'applied',
      balance: '50.00',
      available: '30.00',
      held: '20.00',
    });
    const captured = await decided('/v1/wallets/rider/holds/ride:1/capture', { source: 'ride', seq: 2 }, () => ({
      asset: 'points',
      status: 'REJECTED',
      reason: 'hold_expired',
      balanceMinor: 5000,
    }));
    expect(captured.answer.body).toMatchObject({
      id: 'ride:2',
      status: 'rejected',
      reason: 'hold_expired',
      held: '0.00',
    });
    const released = await decided('/v1/wallets/rider/holds/ride:1/release', { source: 'ride', seq: 3 }, () => ({
      asset: 'points',
      balanceMinor: 5000,
    }));
    expect(released.answer).toMatchObject({
      status: 200,
      body: { id: 'ride:3', status: 'applied', available: '50.00' },
    });
  });

  it('a reused id is 409 id_reused, naming the field that differs in the request', async () => {
    const credit = { source: 'shop', seq: 7, type: 'credit', asset: 'points', amount: '3.00' };
    const { answer } = await decided('/v1/wallets/u1/transactions', credit, () => ({
      status: 'REJECTED',
      conflict: true,
      reason: 'id_reused_with_different_amount',
      balanceMinor: 500,
    }));
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({
      error: 'id_reused',
      message: 'shop:7 was already used for a write with a different amount; the first write stands',
      details: [{ field: 'body.amount', message: 'differs from the first write named shop:7, which stands' }],
      id: 'shop:7',
      status: 'rejected',
      reason: 'id_reused_with_different_amount',
    });
    expect(unlistedProblem(answer.status, answer.body)).toBeUndefined();
  });

  it('names where each route has the differing field, or the body when it has none', async () => {
    const conflict = (reason: string) => () => ({ status: 'REJECTED' as const, conflict: true, reason });
    const transfer = { source: 'p2p', seq: 8, from: 'alice', to: 'bob', asset: 'KRW', amount: '1' };
    const hold = { source: 'ride', seq: 9, asset: 'KRW', amount: '1', timeoutSeconds: 60 };
    const cases: [string, unknown, string, string][] = [
      ['/v1/transfers', transfer, 'id_reused_with_different_to', 'body.to'],
      ['/v1/transfers', transfer, 'id_reused_with_different_user', 'body.from'],
      ['/v1/transfers', transfer, 'id_reused_with_different_type', 'body'],
      ['/v1/wallets/rider/holds', hold, 'id_reused_with_different_timeout', 'body.timeoutSeconds'],
      [
        '/v1/wallets/rider/holds/ride:1/release',
        { source: 'ride', seq: 10 },
        'id_reused_with_different_hold',
        'params.holdId',
      ],
    ];
    for (const [path, body, reason, field] of cases) {
      const { answer } = await decided(path, body, conflict(reason));
      expect(answer.status, reason).toBe(409);
      expect(answer.body.details, reason).toEqual([{ field, message: expect.any(String) }]);
      expect(answer.body.reason).toBe(reason);
    }
  });

  it("an outcome for another user (a transfer's receiver) reaches nobody: the sender's is awaited", () => {
    expect(outcomes.deliver('bob', 'p2p:1', outcomeOf(commands.values[0]!, { userId: 'bob' }))).toBe(0);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}
