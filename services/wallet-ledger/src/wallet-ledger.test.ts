import { describe, expect, it } from 'vitest';
import { balanceKey, balanceOf, commandKey, type Command, type Entry } from './domain/ledger.js';
import { applyCommands, type LedgerBatchStore, type LedgerPort, type StoredEntry } from './wallet-ledger.js';

/** The ledger's two tables in memory, behind the same port the Postgres adapter implements. */
class MemoryLedger implements LedgerPort {
  readonly entries = new Map<string, StoredEntry>();
  readonly balances = new Map<string, bigint>();
  readonly transactions: number[] = [];

  async inPartition<T>(partition: number, work: (batch: LedgerBatchStore) => Promise<T>): Promise<T> {
    this.transactions.push(partition);
    return work({
      recorded: async (commands) =>
        pick(
          this.entries,
          commands.map((c) => commandKey(c.userId, c.id)),
        ),
      balances: async (commands) =>
        pick(
          this.balances,
          commands.map((c) => balanceKey(c.userId, c.asset)),
        ),
      append: async (entries: Entry[]) => {
        const stored = entries.map((e) => ({ ...e, appliedAtMs: 9_000 }));
        for (const e of stored) this.entries.set(commandKey(e.userId, e.id), e);
        return new Map(stored.map((e) => [commandKey(e.userId, e.id), e]));
      },
      writeBalances: async (balances) => {
        for (const [key, minor] of balances) this.balances.set(key, minor);
      },
    });
  }
}

const pick = <V>(map: Map<string, V>, keys: string[]) =>
  new Map(keys.flatMap((k) => (map.has(k) ? [[k, map.get(k)!] as const] : [])));

const command = (id: string, change: Partial<Command> = {}): Command => ({
  userId: 'u1',
  id,
  type: 'CREDIT',
  asset: 'BDP',
  amountMinor: 100n,
  reason: null,
  grant: false,
  requestedAtMs: 1_000,
  ...change,
});

describe('applying a batch of wallet commands', () => {
  it('loads, decides and writes in one transaction of the partition; outcomes are as stored', async () => {
    const ledger = new MemoryLedger();
    const outcomes = await applyCommands(ledger, 3, [
      command('app:1'),
      command('app:2', { type: 'DEBIT', amountMinor: 150n }),
    ]);
    expect(ledger.transactions).toEqual([3]);
    expect(outcomes.map((o) => [o.id, o.status, o.rejection, o.balanceAfterMinor, o.appliedAtMs])).toEqual([
      ['app:1', 'APPLIED', null, 100n, 9_000],
      ['app:2', 'REJECTED', 'insufficient_funds', 100n, 9_000],
    ]);
    expect(ledger.balances).toEqual(new Map([[balanceKey('u1', 'BDP'), 100n]]));
  });

  it('answers a command seen before with its first outcome and writes nothing for it', async () => {
    const ledger = new MemoryLedger();
    await applyCommands(ledger, 0, [command('app:1')]);
    const again = await applyCommands(ledger, 0, [command('app:1'), command('app:1')]);
    expect(again.map((o) => [o.id, o.balanceAfterMinor])).toEqual([
      ['app:1', 100n],
      ['app:1', 100n],
    ]);
    expect(ledger.entries.size).toBe(1);
    expect(ledger.balances.get(balanceKey('u1', 'BDP'))).toBe(100n);
  });

  it('names a balance by user and asset, both ways', () => {
    expect(balanceOf(balanceKey('u:1', 'BDP'))).toEqual({ userId: 'u:1', asset: 'BDP' });
  });
});
