/**
 * wallet-ledger killed with SIGKILL in the middle of its work and started again: no entry lost, none doubled,
 * every balance what the commands say in their order.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WalletCommand } from '@tally/schemas';
import { eventually, startServiceProcess } from '@tally/testkit';
import { credit, debit, ledgerWorld } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof ledgerWorld>>;

beforeAll(async () => {
  world = await ledgerWorld(stack, 'ledger-crash');
});

afterAll(async () => {
  await world?.close();
});

/** 20,000 commands over 200 users, in rounds: three rounds of credits, then a round of debits that may or may not be covered. */
function commands(): WalletCommand[] {
  const out: WalletCommand[] = [];
  for (let i = 0; i < 20_000; i++) {
    const user = `player-${i % 200}`;
    out.push(
      Math.floor(i / 200) % 4 === 3
        ? debit(user, 'store', i, 250 + (i % 7) * 50)
        : credit(user, 'quests', i, 100 + (i % 5) * 10),
    );
  }
  return out;
}

/** The rule applied the obvious way, one user at a time in send order. */
function expectedBalances(sent: WalletCommand[]): Record<string, number> {
  const balances: Record<string, number> = {};
  for (const c of sent) {
    const key = `${c.userId}/${c.asset}`;
    const before = balances[key] ?? 0;
    if (c.type === 'CREDIT') balances[key] = before + c.amountMinor;
    else if (before >= c.amountMinor) balances[key] = before - c.amountMinor;
    else balances[key] = before;
  }
  return balances;
}

async function processed(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^tally_records_processed_total\{[^}]*\} (\d+)/gm)].reduce(
    (sum, m) => sum + Number(m[1]),
    0,
  );
}

describe('wallet-ledger crash', () => {
  it('SIGKILL mid-batch, then a restart: no entry lost and none doubled', async () => {
    const sent = commands();
    await world.send(sent);
    const first = await startServiceProcess('wallet-ledger', world.environment());
    // kill it while it is working: some of the backlog done, not all
    expect(await eventually(async () => (await processed(first.url)) > 1000, 60_000, 20)).toBe(true);
    await first.stop('SIGKILL');
    const entriesAtCrash = await world.entryCount();
    expect(entriesAtCrash).toBeLessThan(sent.length);

    const second = await startServiceProcess('wallet-ledger', world.environment());
    try {
      await world.caughtUp();
      expect(await world.entryCount()).toBe(sent.length);
      const { rows } = await world.pool.query(
        `SELECT count(DISTINCT (user_id, command_id))::int AS distinct_entries FROM ${world.schema}.ledger_entries`,
      );
      expect(rows[0].distinct_entries).toBe(sent.length);
      const expected = expectedBalances(sent);
      expect(await world.balances()).toEqual(expected);
      expect(await world.ledger.invariantViolations()).toEqual([]);
    } finally {
      await second.stop('SIGTERM');
    }
  });
});
