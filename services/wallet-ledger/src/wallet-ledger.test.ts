import { describe, expect, it } from 'vitest';
import type { Hold } from './domain/holds.js';
import { accountKey, bodyOf, type Account, type Conflict, type Entry, type RecordedWrite } from './domain/ledger.js';
import { LIMITS, T0, command } from './domain/test-support.js';
import {
  applyCommands,
  expiryCommand,
  proposeExpiries,
  toCommand,
  toOutcomes,
  type AccountRef,
  type LedgerBatchStore,
  type LedgerPort,
  type StoredEntry,
} from './wallet-ledger.js';

/** The ledger's tables in memory, behind the port the Postgres adapter implements; it records how it was used. */
class MemoryLedger implements LedgerPort {
  readonly accounts = new Map<string, Account>();
  readonly entries: StoredEntry[] = [];
  readonly writes = new Map<string, RecordedWrite>();
  readonly conflicts: Conflict[] = [];
  readonly holdsById = new Map<string, Hold>();
  readonly locked: string[][] = [];
  readonly racing: RecordedWrite[] = [];
  transactions = 0;

  async ensureAccounts(accounts: AccountRef[]) {
    for (const a of accounts) {
      const key = accountKey(a.userId, a.asset);
      if (!this.accounts.has(key)) this.accounts.set(key, { balanceMinor: 0n, heldMinor: 0n });
    }
  }

  async holds(ids: string[]) {
    return new Map(ids.flatMap((id) => (this.holdsById.has(id) ? [[id, this.holdsById.get(id)!] as const] : [])));
  }

  async dueHolds(dueAtMs: number) {
    return [...this.holdsById.values()].filter((h) => h.status === 'PENDING' && h.expiresAtMs <= dueAtMs);
  }

  async inTransaction<T>(work: (batch: LedgerBatchStore) => Promise<T>): Promise<T> {
    this.transactions++;
    return work({
      lockAccounts: async (accounts) => {
        const keys = [...new Set(accounts.map((a) => accountKey(a.userId, a.asset)))].sort();
        this.locked.push(keys);
        return new Map(keys.flatMap((k) => (this.accounts.has(k) ? [[k, this.accounts.get(k)!] as const] : [])));
      },
      holds: (ids) => this.holds(ids),
      writes: async (ids) =>
        new Map(ids.flatMap((id) => (this.writes.has(id) ? [[id, this.writes.get(id)!] as const] : []))),
      entries: async (keys) => {
        const byId = new Map<string, StoredEntry[]>();
        for (const e of this.entries)
          if (keys.some((k) => k.userId === e.userId && k.id === e.id)) byId.set(e.id, [...(byId.get(e.id) ?? []), e]);
        return byId;
      },
      appendEntries: async (entries: Entry[]) => {
        const stored = entries.map((e) => ({ ...e, appliedAtMs: 9_000 }));
        this.entries.push(...stored);
        return stored;
      },
      recordWrites: async (writes) => {
        // another batch records its write between this one's read and its write
        const racing = this.racing.shift();
        if (racing) this.writes.set(racing.id, racing);
        const fresh = writes.filter((w) => !this.writes.has(w.id));
        for (const w of fresh) this.writes.set(w.id, w);
        return fresh.length;
      },
      recordConflicts: async (conflicts) => void this.conflicts.push(...conflicts),
      saveHolds: async (holds) => void holds.forEach((h) => this.holdsById.set(h.id, h)),
      writeAccounts: async (accounts) => void accounts.forEach((a, k) => this.accounts.set(k, a)),
    });
  }
}

describe('applying a batch of wallet commands', () => {
  it('locks every account the batch touches, once, in one sorted order; new ones are made first, outside it', async () => {
    const ledger = new MemoryLedger();
    const batch = [
      command({ id: 'a:1', userId: 'zed' }),
      command({ id: 'a:2', userId: 'amy', type: 'TRANSFER', to: 'bob', amountMinor: 1n }),
      command({ id: 'a:3', userId: 'zed', type: 'DEBIT', amountMinor: 50n }),
    ];
    await applyCommands(ledger, batch, LIMITS);
    const sorted = [accountKey('amy', 'BDP'), accountKey('bob', 'BDP'), accountKey('zed', 'BDP')];
    // the first transaction finds no rows, stops; the rows are made; the second locks them all and decides
    expect(ledger.transactions).toBe(2);
    expect(ledger.locked).toEqual([sorted, sorted]);
    // once the rows exist, one transaction
    await applyCommands(ledger, [command({ id: 'a:4', userId: 'zed' })], LIMITS);
    expect(ledger.transactions).toBe(3);
  });

  it('writes entries, writes and balances; a retry is answered with what was stored and writes nothing', async () => {
    const ledger = new MemoryLedger();
    const first = await applyCommands(ledger, [command({ id: 'app:1' })], LIMITS);
    const again = await applyCommands(ledger, [command({ id: 'app:1' })], LIMITS);
    expect(again[0]!.entries).toEqual(first[0]!.entries);
    expect(again[0]!.entries[0]).toMatchObject({ appliedAtMs: 9_000, balanceAfterMinor: 100n });
    expect(ledger.entries).toHaveLength(1);
    expect(ledger.accounts.get(accountKey('u1', 'BDP'))).toEqual({ balanceMinor: 100n, heldMinor: 0n });
  });

  it('starts a batch again when another batch records one of its write ids meanwhile, and then hears that write', async () => {
    const ledger = new MemoryLedger();
    const grant = (userId: string) => command({ id: 'g:1', userId, grant: true, grantDigest: 'd' });
    // the other partition's batch recorded the grant and credited its own user first
    await applyCommands(new MemoryLedger(), [grant('u2')], LIMITS);
    ledger.racing.push({
      id: 'g:1',
      body: { ...bodyOf(grant('u2')) },
      status: 'APPLIED',
      rejection: null,
      member: null,
      requestedAtMs: T0,
    });
    const [outcome] = await applyCommands(ledger, [grant('u1')], LIMITS);
    // one finds u1's account missing, one finds the id taken, one decides
    expect(ledger.transactions).toBe(3);
    expect(outcome!.entries.map((e) => [e.userId, e.status])).toEqual([['u1', 'APPLIED']]);
    expect(ledger.entries).toHaveLength(1);
  });

  it('publishes a transfer on both sides, and a reuse as one conflicting outcome to its sender', async () => {
    const ledger = new MemoryLedger();
    await applyCommands(ledger, [command({ id: 'f:1', userId: 'amy', amountMinor: 500n })], LIMITS);
    const pay = command({ id: 'p:1', userId: 'amy', type: 'TRANSFER', to: 'bob', amountMinor: 200n });
    const [paid, reused] = await applyCommands(ledger, [pay, { ...pay, amountMinor: 300n }], LIMITS);
    expect(toOutcomes(paid!).map((o) => [o.userId, o.status, o.balanceMinor, o.to])).toEqual([
      ['amy', 'APPLIED', 300, 'bob'],
      ['bob', 'APPLIED', 200, 'amy'],
    ]);
    expect(toOutcomes(reused!)).toEqual([
      expect.objectContaining({
        userId: 'amy',
        status: 'REJECTED',
        reason: 'id_reused_with_different_amount',
        conflict: true,
      }),
    ]);
    expect(ledger.conflicts).toHaveLength(1);
  });

  it('proposes each due hold’s expiry once through the commands topic; applied, it gives back what the hold kept', async () => {
    const ledger = new MemoryLedger();
    await applyCommands(
      ledger,
      [
        command({ id: 'f:1', amountMinor: 500n }),
        command({ id: 'h:1', type: 'HOLD', amountMinor: 200n, timeoutMs: 1_000, requestedAtMs: T0 }),
      ],
      LIMITS,
    );
    const sent: unknown[] = [];
    const deps = {
      store: ledger,
      producer: { sendAll: async (_codec: unknown, records: unknown[]) => void sent.push(...records) },
      commands: {},
    } as unknown as Parameters<typeof proposeExpiries>[0];
    const proposed = new Map<string, number>();
    expect(await proposeExpiries(deps, T0 + 999, proposed, T0 + 999)).toBe(0);
    expect(await proposeExpiries(deps, T0 + 1_000, proposed, T0 + 1_000)).toBe(1);
    expect(await proposeExpiries(deps, T0 + 2_000, proposed, T0 + 2_000)).toBe(0);
    expect(sent).toEqual([{ key: 'u1', value: expiryCommand(ledger.holdsById.get('h:1')!) }]);

    const [expiry] = await applyCommands(ledger, [toCommand(expiryCommand(ledger.holdsById.get('h:1')!))], LIMITS);
    expect(expiry!.entries.map((e) => [e.id, e.leg, e.type, e.heldDeltaMinor, e.requestedAtMs])).toEqual([
      ['h:1', 1, 'EXPIRY', -200n, T0 + 1_000],
    ]);
    expect(ledger.accounts.get(accountKey('u1', 'BDP'))).toEqual({ balanceMinor: 500n, heldMinor: 0n });
    expect(ledger.holdsById.get('h:1')?.status).toBe('EXPIRED');
    // proposed again (another instance, a restart): the settled hold ignores it
    const [again] = await applyCommands(ledger, [toCommand(expiryCommand(ledger.holdsById.get('h:1')!))], LIMITS);
    expect(again!.entries).toEqual([]);
    expect(ledger.entries.filter((e) => e.type === 'EXPIRY')).toHaveLength(1);
  });
});
