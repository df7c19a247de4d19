/**
 * The ledger as payments build on it, against the real broker, registry and Postgres: transfers that race in a
 * ring across partitions and consumers, a linked group whose last member fails, holds captured, released and
 * expiring across a SIGKILL, an id reused with another body, the largest balance there is, and the commands
 * topic grown in the middle of a run. After each, every invariant holds (verifyLedger).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatWriteKey } from '@tally/contracts';
import { growPartitions } from '@tally/stack';
import type { WalletCommand } from '@tally/schemas';
import { TypedProducer, createKafka } from '@tally/streaming';
import { eventually, quietLogger, startServiceProcess, withAdmin } from '@tally/testkit';
import { capture, credit, debit, group, hold, ledgerWorld, release, transfer } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof ledgerWorld>>;
let url: string;
let urls: string[];

beforeAll(async () => {
  world = await ledgerWorld(stack, 'ledger-payments');
  // two instances in one group: the ring's transfers are decided by two consumers at once
  const expiry = { HOLD_EXPIRY_GRACE_MS: '0', HOLD_EXPIRY_TICK_MS: '200' };
  urls = [await world.start(undefined, expiry), await world.start(undefined, expiry)].map(
    (s) => `http://127.0.0.1:${s.port}`,
  );
  url = urls[0]!;
});

afterAll(async () => {
  await world?.close();
});

const id = (c: WalletCommand) => formatWriteKey(c);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers checked field by field below
const read = async (path: string): Promise<any> => (await fetch(`${url}${path}`)).json();

describe('transfers', () => {
  it('1,000 concurrent transfers in a ring of 50 users: the total is conserved and nobody goes below zero', async () => {
    const users = Array.from({ length: 50 }, (_, i) => `ring-${i}`);
    await world.send(users.map((u, i) => credit(u, 'ring-funding', i, 10_000)));
    await world.caughtUp();
    const transfers = Array.from({ length: 1000 }, (_, i) =>
      // amounts up to 3x the starting balance: many overdraw, and must be rejected whole
      transfer(users[i % 50]!, users[(i + 1) % 50]!, 'ring', i, 1 + ((i * 7919) % 30_000)),
    );
    await world.send(transfers);
    await world.caughtUp();

    const accounts = await world.accounts();
    const ring = users.map((u) => accounts[`${u}/BDP`]!);
    expect(ring.reduce((sum, a) => sum + a.balance, 0)).toBe(50 * 10_000);
    expect(ring.every((a) => a.balance >= 0)).toBe(true);
    const { rows } = await world.pool.query(
      `SELECT w.status, count(*)::int AS writes, sum((SELECT count(*) FROM ${world.schema}.ledger_entries e WHERE e.command_id = w.write_id))::int AS entries
       FROM ${world.schema}.ledger_writes w WHERE w.write_id LIKE 'ring:%' GROUP BY w.status ORDER BY 1`,
    );
    const applied = rows.find((r) => r.status === 'applied');
    const rejected = rows.find((r) => r.status === 'rejected');
    // both outcomes happen, an applied transfer is two entries and a rejected one is the sender's alone
    expect(applied.writes + rejected.writes).toBe(1000);
    expect(applied.writes).toBeGreaterThan(100);
    expect(rejected.writes).toBeGreaterThan(100);
    expect(applied.entries).toBe(2 * applied.writes);
    expect(rejected.entries).toBe(rejected.writes);
    expect(await world.ledger.invariantViolations()).toEqual([]);
  });

  it('shows on both sides, with who paid whom', async () => {
    await world.send([credit('alice', 'gift-funding', 1, 500), transfer('alice', 'bob', 'gift', 1, 120)]);
    await world.decided('gift:1', 'bob');
    const [alice, bob] = await Promise.all([
      read('/v1/wallets/alice/transactions/gift:1'),
      read('/v1/wallets/bob/transactions/gift:1'),
    ]);
    expect(alice).toMatchObject({
      type: 'transfer',
      status: 'applied',
      amount: '1.20',
      from: 'alice',
      to: 'bob',
      balanceAfter: '3.80',
    });
    expect(bob).toMatchObject({
      type: 'transfer',
      status: 'applied',
      amount: '1.20',
      from: 'alice',
      to: 'bob',
      balanceAfter: '1.20',
    });
  });
});

describe('grants', () => {
  it('one grant’s credits decided at once on several partitions by two consumers: each user credited once, none dead-lettered', async () => {
    const users = Array.from({ length: 60 }, (_, i) => `grantee-${i}`);
    // 200 grants of 60 users each: every grant id is new to several batches at the same moment
    const grants = Array.from({ length: 200 }, (_, g) =>
      users.map((u) => credit(u, 'raid-reward', g, 10, { grant: true, grantDigest: 'sixty' })),
    );
    // one grant at a time, as the gateway writes them: small batches, decided by both consumers at once
    for (const grant of grants) await world.send(grant);
    await world.caughtUp();
    const accounts = await world.accounts();
    expect(users.map((u) => accounts[`${u}/BDP`]?.balance)).toEqual(users.map(() => 200 * 10));
    const { rows } = await world.pool.query(
      `SELECT count(*)::int AS writes FROM ${world.schema}.ledger_writes WHERE write_id LIKE 'raid-reward:%'`,
    );
    expect(rows[0].writes).toBe(200);
    expect(await world.deadLetters()).toBe(0);
    expect(await world.ledger.invariantViolations()).toEqual([]);
  });
});

describe('linked groups', () => {
  it('a group whose last member overdraws applies nothing, and every member is recorded rejected with its reason', async () => {
    await world.send([credit('buyer', 'shop-funding', 1, 100)]);
    await world.caughtUp();
    const purchase = group('shop', 1, [
      { userId: 'buyer', type: 'DEBIT', amountMinor: 60 },
      { userId: 'seller', type: 'CREDIT', amountMinor: 50 },
      { userId: 'fees', type: 'CREDIT', amountMinor: 10 },
      { userId: 'buyer', type: 'DEBIT', amountMinor: 60 },
    ]);
    await world.send([purchase]);
    await world.decided('shop:1', 'fees');
    const accounts = await world.accounts();
    expect(accounts['buyer/BDP']).toEqual({ balance: 100, held: 0 });
    expect(accounts['seller/BDP']?.balance ?? 0).toBe(0);
    expect(accounts['fees/BDP']?.balance ?? 0).toBe(0);
    expect(await read('/v1/wallets/buyer/transactions/shop:1')).toMatchObject({
      status: 'rejected',
      reason: 'insufficient_funds',
      group: true,
      member: 3,
    });
    expect(await read('/v1/wallets/seller/transactions/shop:1')).toMatchObject({
      status: 'rejected',
      reason: 'insufficient_funds',
    });

    // the same purchase within the means applies whole
    await world.send([
      group('shop', 2, [
        { userId: 'buyer', type: 'DEBIT', amountMinor: 60 },
        { userId: 'seller', type: 'CREDIT', amountMinor: 50 },
        { userId: 'fees', type: 'CREDIT', amountMinor: 10 },
      ]),
    ]);
    await world.decided('shop:2', 'fees');
    expect(await world.accounts()).toMatchObject({
      'buyer/BDP': { balance: 40 },
      'seller/BDP': { balance: 50 },
      'fees/BDP': { balance: 10 },
    });
    expect(await world.ledger.invariantViolations()).toEqual([]);
  });
});

describe('holds', () => {
  it('keep funds from being spent, and pay the payee what is captured; the rest goes back', async () => {
    const now = Date.now();
    const at = { receivedAtMs: now };
    await world.send([
      credit('renter', 'hold-funding', 1, 1000, at),
      hold('renter', 'order', 1, 700, 60_000, { ...at, to: 'landlord' }),
      debit('renter', 'spend', 1, 400), // only 300 available: rejected
    ]);
    await world.decided('spend:1');
    expect(await read('/v1/wallets/renter')).toMatchObject({
      balances: { BDP: '10.00' },
      available: { BDP: '3.00' },
      held: { BDP: '7.00' },
    });
    expect(await read('/v1/wallets/renter/transactions/spend:1')).toMatchObject({
      status: 'rejected',
      reason: 'insufficient_funds',
    });

    await world.send([capture('renter', 'order:1', 'settle', 1, 500, at)]);
    await world.decided('settle:1', 'landlord');
    expect(await world.accounts()).toMatchObject({
      'renter/BDP': { balance: 500, held: 0 },
      'landlord/BDP': { balance: 500, held: 0 },
    });
    expect(await read('/v1/wallets/renter/holds/order:1')).toMatchObject({
      status: 'captured',
      amount: '7.00',
      captured: '5.00',
      to: 'landlord',
    });

    // a second capture, a release of a captured hold, a capture beyond a hold: each recorded rejected
    await world.send([
      capture('renter', 'order:1', 'settle', 2, 0, at),
      hold('renter', 'order', 2, 100, 60_000, at),
      capture('renter', 'order:2', 'settle', 3, 101, at),
      release('renter', 'order:2', 'cancel', 1),
      capture('renter', 'order:2', 'settle', 4, 0, at),
    ]);
    await world.decided('settle:4');
    for (const [write, reason] of [
      ['settle:2', 'hold_not_pending'],
      ['settle:3', 'capture_exceeds_hold'],
      ['settle:4', 'hold_not_pending'],
    ])
      expect(await read(`/v1/wallets/renter/transactions/${write}`), write).toMatchObject({
        status: 'rejected',
        reason,
      });
    expect(await read('/v1/wallets/renter/holds/order:2')).toMatchObject({ status: 'released' });
    expect(await world.accounts()).toMatchObject({ 'renter/BDP': { balance: 500, held: 0 } });
    expect(await world.ledger.invariantViolations()).toEqual([]);
  });

  it('a hold expires by itself across a SIGKILL of the ledger, and a capture after its time is refused', async () => {
    const crashWorld = await ledgerWorld(stack, 'ledger-hold-expiry');
    try {
      const env = { ...crashWorld.environment(), HOLD_EXPIRY_GRACE_MS: '0', HOLD_EXPIRY_TICK_MS: '200' };
      const first = await startServiceProcess('wallet-ledger', env);
      const now = Date.now();
      await crashWorld.send([
        credit('guest', 'deposit', 1, 1000, { receivedAtMs: now }),
        hold('guest', 'booking', 1, 800, 4_000, { receivedAtMs: now }),
      ]);
      await crashWorld.decided('booking:1');
      expect((await crashWorld.accounts())['guest/BDP']).toEqual({ balance: 1000, held: 800 });
      await first.stop('SIGKILL');

      // nobody runs while the hold's time passes; a capture sent before the restart was asked for too late
      await new Promise((r) => setTimeout(r, 4_500));
      await crashWorld.send([capture('guest', 'booking:1', 'late', 1, 0, { receivedAtMs: now + 5_000 })]);
      const second = await startServiceProcess('wallet-ledger', env);
      try {
        expect(await eventually(async () => (await crashWorld.accounts())['guest/BDP']?.held === 0, 30_000, 100)).toBe(
          true,
        );
        await crashWorld.decided('late:1');
        const { rows } = await crashWorld.pool.query(
          `SELECT status FROM ${crashWorld.schema}.holds WHERE hold_id = 'booking:1'`,
        );
        expect(rows[0].status).toBe('expired');
        const entries = await crashWorld.pool.query(
          `SELECT command_id, leg, type, status, rejection FROM ${crashWorld.schema}.ledger_entries WHERE user_id = 'guest' ORDER BY entry_no`,
        );
        // the expiry and the late capture may be written in either order; each exactly once
        expect(entries.rows).toEqual(
          expect.arrayContaining([
            { command_id: 'deposit:1', leg: 0, type: 'credit', status: 'applied', rejection: null },
            { command_id: 'booking:1', leg: 0, type: 'hold', status: 'applied', rejection: null },
            { command_id: 'booking:1', leg: 1, type: 'expiry', status: 'applied', rejection: null },
            { command_id: 'late:1', leg: 0, type: 'capture', status: 'rejected', rejection: 'hold_expired' },
          ]),
        );
        expect(entries.rows).toHaveLength(4);
        expect((await crashWorld.accounts())['guest/BDP']).toEqual({ balance: 1000, held: 0 });
        expect(await crashWorld.ledger.invariantViolations()).toEqual([]);
      } finally {
        await second.stop('SIGTERM');
      }
    } finally {
      await crashWorld.close();
    }
  });
});

describe('ids', () => {
  it('an id reused with another amount is a conflict: recorded once, the balance unchanged, the first outcome stands', async () => {
    const first = credit('reuser', 'client', 1, 500);
    await world.send([first]);
    await world.decided(id(first));
    const reused = credit('reuser', 'client', 1, 50_000, { receivedAtMs: first.receivedAtMs + 1000 });
    await world.send([reused, reused, first]);
    await world.caughtUp();
    expect((await world.accounts())['reuser/BDP']).toEqual({ balance: 500, held: 0 });
    const answer = await read('/v1/wallets/reuser/transactions/client:1');
    expect(answer).toMatchObject({ status: 'applied', amount: '5.00' });
    expect(answer.conflicts).toEqual([
      { reason: 'id_reused_with_different_amount', field: 'amount', at: reused.receivedAtMs },
    ]);

    // reused for another user: that user's read says what became of it
    await world.send([credit('someone-else', 'client', 1, 500)]);
    await world.caughtUp();
    expect(await read('/v1/wallets/someone-else/transactions/client:1')).toMatchObject({
      status: 'rejected',
      reason: 'id_reused_with_different_user',
      conflict: true,
    });
    expect((await world.accounts())['someone-else/BDP']?.balance ?? 0).toBe(0);
    // counted by whichever instance owns the partition
    const metrics = (await Promise.all(urls.map(async (u) => (await fetch(`${u}/metrics`)).text()))).join('\n');
    expect(metrics).toMatch(/tally_write_conflicts_total\{[^}]*reason="id_reused_with_different_amount"[^}]*\} [1-9]/);
  });
});

describe('assets', () => {
  it('the largest balance there is, 2^53 - 1 minor units, round-trips exactly through Avro, Postgres and JSON', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    await world.send([
      credit('whale', 'mint', 1, max - 1),
      credit('whale', 'mint', 2, 1),
      credit('whale', 'mint', 3, 1),
    ]);
    await world.decided('mint:3');
    expect((await world.accounts())['whale/BDP']).toEqual({ balance: max, held: 0 });
    expect(await read('/v1/wallets/whale')).toMatchObject({ balances: { BDP: '90071992547409.91' } });
    expect(await read('/v1/wallets/whale/transactions/mint:3')).toMatchObject({
      status: 'rejected',
      reason: 'balance_limit_exceeded',
      balanceAfter: '90071992547409.91',
    });
  });
});

describe('repartitioning', () => {
  it('the commands topic grown in the middle of a run: one user’s commands now on two partitions, the ledger still exact', async () => {
    const grow = await ledgerWorld(stack, 'ledger-regrow');
    try {
      await grow.start();
      const users = Array.from({ length: 40 }, (_, i) => `p-${i}`);
      const batch = (from: number) =>
        users.flatMap((u, i) => [
          credit(u, 'topup', from + i, 1_000),
          transfer(u, users[(i + 7) % users.length]!, 'pay', from + i, 300 + ((from + i) % 900)),
          debit(u, 'spend', from + i, 200 + ((from * 3 + i) % 700)),
        ]);
      await grow.send(batch(0));
      await withAdmin(stack.brokers, (admin) =>
        growPartitions(admin, grow.topics.commands, 12, { allowRepartition: true }),
      );
      // a producer that knows the 12 partitions at once (a running gateway learns them at its next metadata refresh)
      const producer = new TypedProducer(
        createKafka({ brokers: stack.brokers, clientId: 'regrow', logger: quietLogger() }),
      );
      await producer.connect();
      try {
        for (let round = 1; round <= 5; round++) await grow.send(batch(round * 1000), producer);
        // a second instance joins: the group is rebalanced over all 12 partitions
        await grow.start();
        await grow.caughtUp(undefined, 180_000);
      } finally {
        await producer.disconnect();
      }
      const { rows } = await grow.pool.query(`SELECT count(*)::int AS n FROM ${grow.schema}.ledger_writes`);
      expect(rows[0].n).toBe(6 * 3 * users.length);
      const accounts = await grow.accounts();
      const total = users.reduce((sum, u) => sum + (accounts[`${u}/BDP`]?.balance ?? 0), 0);
      const spent = await grow.pool.query(
        `SELECT coalesce(sum(amount_minor), 0)::bigint AS spent FROM ${grow.schema}.ledger_entries WHERE type = 'debit' AND status = 'applied'`,
      );
      expect(total).toBe(6 * users.length * 1_000 - Number(spent.rows[0].spent));
      expect(await grow.ledger.invariantViolations()).toEqual([]);
    } finally {
      await grow.close();
    }
  });
});

describe('replay', () => {
  it('a rebuild from the first offset into an empty schema is the live ledger, expiries and late captures included', async () => {
    // its own topic: commands whose outcomes do not hang on how two partitions interleave (a transfer into an
    // account that pays out on another partition may be decided the other way in a rebuild: see the note below)
    const replay = await ledgerWorld(stack, 'ledger-replay');
    try {
      const live = await replay.start(undefined, { HOLD_EXPIRY_GRACE_MS: '0', HOLD_EXPIRY_TICK_MS: '200' });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers checked field by field below
      const http = async (path: string): Promise<any> => (await fetch(`http://127.0.0.1:${live.port}${path}`)).json();
      const now = Date.now();
      const at = { receivedAtMs: now };
      const users = Array.from({ length: 20 }, (_, i) => `r-${i}`);
      await replay.send([
        ...users.flatMap((u, i) => [
          credit(u, 'fund', i, 1_000, at),
          hold(u, 'tab', i, 300 + i * 10, i % 2 === 0 ? 1_000 : 600_000, { ...at, to: 'bar' }),
          debit(u, 'spend', i, 600 + i * 10, at), // some dip into held funds: rejected
          transfer(u, 'pot', 'chip-in', i, 50, at), // never rejected: each has 1,000 less at most 500 held or spent
        ]),
        // an id reused with another amount
        credit('r-0', 'fund', 0, 5, at),
      ]);
      await replay.caughtUp();
      // the even ones expire; then captures asked before their time arrive late and find them expired
      expect(
        await eventually(async () => (await http('/v1/wallets/r-0/holds/tab:0')).status === 'expired', 30_000, 100),
      ).toBe(true);
      expect(
        await eventually(async () => (await http('/v1/wallets/r-18/holds/tab:18')).status === 'expired', 30_000, 100),
      ).toBe(true);
      await replay.send(users.map((u, i) => capture(u, `tab:${i}`, 'settle', i, 0, { receivedAtMs: now + 500 })));
      await replay.caughtUp();
      expect(await http('/v1/wallets/r-0/transactions/settle:0')).toMatchObject({
        status: 'rejected',
        reason: 'hold_expired',
      });
      expect(await http('/v1/wallets/r-1/transactions/settle:1')).toMatchObject({ status: 'applied', to: 'bar' });

      const rebuilt = `${replay.schema}_rebuilt`;
      await replay.start(`${replay.run}-rebuild`, { DB_SCHEMA: rebuilt });
      await replay.caughtUp(`${replay.run}-rebuild`);
      const snapshot = async (schema: string) => {
        const q = async (sql: string) => (await replay.pool.query(sql)).rows;
        return {
          entries: await q(
            `SELECT user_id, command_id, leg, type, status, rejection, amount_minor::text, balance_after_minor::text, held_after_minor::text
             FROM ${schema}.ledger_entries ORDER BY user_id, command_id, leg`,
          ),
          balances: await q(
            `SELECT user_id, asset, balance_minor::text, held_minor::text FROM ${schema}.balances ORDER BY 1, 2`,
          ),
          holds: await q(`SELECT hold_id, status, captured_minor::text FROM ${schema}.holds ORDER BY 1`),
          writes: await q(`SELECT write_id, body, status, rejection FROM ${schema}.ledger_writes ORDER BY 1`),
          conflicts: await q(`SELECT write_id, field FROM ${schema}.ledger_conflicts ORDER BY 1, 2`),
        };
      };
      const [before, again] = await Promise.all([snapshot(replay.schema), snapshot(rebuilt)]);
      expect(before.holds.filter((h) => h.status === 'expired')).toHaveLength(10);
      expect(before.conflicts).toEqual([{ write_id: 'fund:0', field: 'amount' }]);
      // every decision, balance, hold and write the same; the receivers' running balances alone may differ, since
      // their credits come from 20 senders on several partitions, which a rebuild interleaves in another order
      const receivers = new Set(['pot', 'bar']);
      const decisions = (rows: Record<string, unknown>[]) =>
        rows.map((r) =>
          receivers.has(r.user_id as string) ? { ...r, balance_after_minor: '*', held_after_minor: '*' } : r,
        );
      expect({ ...again, entries: decisions(again.entries) }).toEqual({
        ...before,
        entries: decisions(before.entries),
      });
    } finally {
      await replay.close();
    }
  });
});
