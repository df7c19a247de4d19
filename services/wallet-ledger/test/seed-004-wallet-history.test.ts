/**
 * Seed 004: balances in Redis (HINCRBYFLOAT) and history sent through Kafka to an RDB. Message ids built from
 * timestamp + user dropped history rows when two grants shared a timestamp; GET-then-SET lost increments. Here
 * the ledger in Postgres is the truth, each command is named by (user, source, seq), and amounts are integers.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, flushAll } from '@tally/storage';
import type { WalletCommand } from '@tally/schemas';
import { formatWriteKey } from '@tally/contracts';
import type { RunningLedger } from '../src/service.js';
import { credit, debit, ledgerWorld } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof ledgerWorld>>;
let service: RunningLedger;

beforeAll(async () => {
  world = await ledgerWorld(stack, 'seed-004');
  service = await world.start();
});

afterAll(async () => {
  await world?.close();
});

async function expectInvariant() {
  expect(await world.ledger.invariantViolations()).toEqual([]);
}

const users = Array.from({ length: 500 }, (_, i) => `member-${i}`);
/** A grant as the gateway writes it: one command per user, all with the grant's (source, seq), one timestamp. */
const grant = (seq: number) =>
  users.map((u) => credit(u, 'chat-rewards', seq, 10, { grant: true, reason: `grant ${seq}` }));

describe('seed 004: wallet history lost to colliding message ids', () => {
  it('500 users granted 20 times at once with identical timestamps: every balance and history row exact', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, seq) => world.send(grant(seq))));
    await world.caughtUp();
    expect(await world.entryCount()).toBe(10_000);
    const balances = await world.balances();
    expect(Object.keys(balances)).toHaveLength(500);
    expect(Object.values(balances).every((b) => b === 200)).toBe(true);
    const history = await world.ledger.history('member-7', 100);
    expect(history.map((e) => e.id).sort()).toEqual(
      Array.from({ length: 20 }, (_, seq) => formatWriteKey({ source: 'chat-rewards', seq })).sort(),
    );
    expect(history.every((e) => e.status === 'APPLIED')).toBe(true);
    await expectInvariant();
  });

  it('the same grants delivered again change nothing', async () => {
    await world.send([...grant(3), ...grant(17)]);
    await world.caughtUp();
    expect(await world.entryCount()).toBe(10_000);
    expect(Object.values(await world.balances()).every((b) => b === 200)).toBe(true);
    await expectInvariant();
  });

  it('1,000 debits racing credits on one user never overdraw, and the balance is the sum of applied entries', async () => {
    const commands: WalletCommand[] = [];
    for (let i = 0; i < 1000; i++) commands.push(debit('racer', `shop-${i % 7}`, i, 100));
    for (let i = 0; i < 600; i++) commands.push(credit('racer', `topup-${i % 5}`, i, 150, { asset: 'BDP' }));
    // shuffled and sent from eight concurrent producers
    commands.sort(() => Math.random() - 0.5);
    await Promise.all(Array.from({ length: 8 }, (_, k) => world.send(commands.filter((_, i) => i % 8 === k))));
    await world.caughtUp();
    const history = await world.ledger.history('racer', 100);
    expect(history.length).toBe(100);
    const { rows } = await world.pool.query(
      `SELECT count(*)::int AS entries, min(balance_after_minor)::bigint AS lowest,
              sum(CASE WHEN status = 'applied' THEN CASE type WHEN 'credit' THEN amount_minor ELSE -amount_minor END ELSE 0 END)::bigint AS applied,
              count(*) FILTER (WHERE status = 'rejected' AND rejection = 'insufficient_funds')::int AS rejected
       FROM ${world.schema}.ledger_entries WHERE user_id = 'racer'`,
    );
    expect(rows[0].entries).toBe(1600);
    expect(Number(rows[0].lowest)).toBeGreaterThanOrEqual(0);
    expect((await world.balances())['racer/BDP']).toBe(Number(rows[0].applied));
    expect(rows[0].rejected).toBeGreaterThanOrEqual(100); // 600 × 1.50 = 900.00 of credit cannot cover 1,000 × 1.00
    await expectInvariant();
  });

  it('the command topic replayed from earliest by a fresh group, and Redis FLUSHALL, change no answer', async () => {
    const before = {
      balances: await world.balances(),
      entries: await world.entryCount(),
      history: await world.ledger.history('racer', 100),
    };
    const replaying = await world.start(`${world.run}-replay`);
    await world.caughtUp(`${world.run}-replay`);
    await replaying.close();
    const redis = createRedis(stack.redisUrl, 'test');
    await flushAll(redis);
    redis.disconnect();
    expect(await world.balances()).toEqual(before.balances);
    expect(await world.entryCount()).toBe(before.entries);
    const response = await fetch(`http://127.0.0.1:${service.port}/v1/wallets/racer/transactions?limit=100`);
    const body = (await response.json()) as { transactions: { id: string; balanceAfter: string }[] };
    expect(body.transactions.map((t) => t.id)).toEqual(before.history.map((e) => e.id));
    await expectInvariant();
  });

  it('refuses to rewrite history: the ledger is append-only', async () => {
    await expect(
      world.pool.query(`UPDATE ${world.schema}.ledger_entries SET amount_minor = 1 WHERE user_id = 'racer'`),
    ).rejects.toThrow(/append-only/);
    await expect(
      world.pool.query(`DELETE FROM ${world.schema}.ledger_entries WHERE user_id = 'racer'`),
    ).rejects.toThrow(/append-only/);
  });
});
