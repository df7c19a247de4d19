/**
 * Builders of commands and an in-memory ledger for the domain's tests. The model keeps the ledger's tables as
 * the Postgres adapter does (ledger_entries keyed by (user, write, leg), ledger_writes by id, ledger_conflicts by
 * (id, body), balances, holds) and drives `decide` and `expireHolds` as the use case and the expiry loop do, so a
 * test can run several batches and look at what is stored, and the property tests can redeliver.
 */
import { accountsTouched } from './accounts-touched.js';
import { expireHolds, type Hold } from './holds.js';
import {
  Book,
  accountKey,
  accountOf,
  decide,
  type Account,
  type AssetLimits,
  type Command,
  type Conflict,
  type Decision,
  type Entry,
  type LedgerState,
  type Member,
  type RecordedWrite,
} from './ledger.js';

/** Small limits, so that tests reach balance_limit_exceeded with small numbers (GEM's even in random logs). */
export const MAX_BALANCE = 1_000_000n;
export const GEM_MAX_BALANCE = 300n;
export const LIMITS: AssetLimits = (asset) =>
  asset === 'BDP'
    ? { maxBalanceMinor: MAX_BALANCE }
    : asset === 'GEM'
      ? { maxBalanceMinor: GEM_MAX_BALANCE }
      : undefined;
export const T0 = 1_700_000_000_000;

let seq = 0;
/** A new write id each call: tests that mean a retry copy the command. */
export const nextId = (source = 'app') => `${source}:${++seq}`;

export function command(change: Partial<Command> = {}): Command {
  return {
    id: nextId(),
    userId: 'u1',
    type: 'CREDIT',
    asset: 'BDP',
    amountMinor: 100n,
    reason: null,
    grant: false,
    grantDigest: null,
    requestedAtMs: T0,
    to: null,
    holdId: null,
    timeoutMs: null,
    members: [],
    ...change,
  };
}

export const credit = (userId: string, amountMinor: bigint, change: Partial<Command> = {}) =>
  command({ userId, amountMinor, ...change });
export const debit = (userId: string, amountMinor: bigint, change: Partial<Command> = {}) =>
  command({ userId, type: 'DEBIT', amountMinor, ...change });
export const transfer = (from: string, to: string, amountMinor: bigint, change: Partial<Command> = {}) =>
  command({ userId: from, type: 'TRANSFER', to, amountMinor, ...change });
/** A grant: one id, one command per user, its body the digest of its users. */
export const grant = (users: string[], amountMinor: bigint, change: Partial<Command> = {}): Command[] => {
  const id = nextId('grants');
  return users.map((userId) =>
    command({ id, userId, amountMinor, grant: true, grantDigest: users.join(','), reason: 'grant', ...change }),
  );
};

export const member = (
  userId: string,
  type: Member['type'],
  amountMinor: bigint,
  change: Partial<Member> = {},
): Member => ({ userId, type, asset: 'BDP', amountMinor, to: null, reason: null, ...change });
export const group = (members: Member[], change: Partial<Command> = {}) =>
  command({ userId: members[0]!.userId, type: 'GROUP', asset: '', amountMinor: 0n, members, ...change });

export const hold = (userId: string, amountMinor: bigint, change: Partial<Command> = {}) =>
  command({ userId, type: 'HOLD', amountMinor, timeoutMs: 60_000, ...change });
/** A capture of `amountMinor` of the hold; 0n: all of it. */
export const capture = (userId: string, holdId: string, amountMinor = 0n, change: Partial<Command> = {}) =>
  command({ userId, type: 'CAPTURE', asset: '', amountMinor, holdId, ...change });
export const release = (userId: string, holdId: string, change: Partial<Command> = {}) =>
  command({ userId, type: 'RELEASE', asset: '', amountMinor: 0n, holdId, ...change });

/** The ledger's tables in memory, written batch by batch as the use case writes Postgres. */
export class LedgerModel {
  /** ledger_entries in entry_no order. */
  readonly log: Entry[] = [];
  readonly accounts = new Map<string, Account>();
  readonly writes = new Map<string, RecordedWrite>();
  readonly entries = new Map<string, Entry[]>();
  readonly holds = new Map<string, Hold>();
  /** ledger_conflicts: each distinct reuse once. */
  readonly conflicts = new Map<string, Conflict>();
  private readonly keys = new Set<string>();

  constructor(seed: [userId: string, asset: string, account: Account][] = []) {
    for (const [userId, asset, account] of seed) this.accounts.set(accountKey(userId, asset), account);
  }

  /**
   * As the use case loads it: only the accounts `accountsTouched` names (locked, then read), so that a rule
   * reading or changing any other account shows (it would see a zero balance, and change an unlocked row).
   */
  state(batch: Command[]): LedgerState {
    const touched = new Set(accountsTouched(batch, this.holds).map((a) => accountKey(a.userId, a.asset)));
    const accounts = new Map([...this.accounts].filter(([key]) => touched.has(key)));
    return { accounts, writes: this.writes, entries: this.entries, holds: this.holds };
  }

  apply(batch: Command[]): Decision {
    const state = this.state(batch);
    const decision = decide(batch, state, LIMITS);
    const touched = new Set(accountsTouched(batch, this.holds).map((a) => accountKey(a.userId, a.asset)));
    for (const key of decision.accounts.keys())
      if (!touched.has(key)) throw new Error(`${JSON.stringify(accountOf(key))} changed but not locked`);
    this.append(decision.entries);
    for (const write of decision.writes) {
      if (this.writes.has(write.id)) throw new Error(`write ${write.id} recorded twice: its primary key refuses`);
      this.writes.set(write.id, write);
    }
    for (const conflict of decision.conflicts)
      this.conflicts.set(`${conflict.id} ${JSON.stringify(conflict.body)}`, conflict);
    for (const [key, account] of decision.accounts) this.accounts.set(key, account);
    for (const [id, changed] of decision.holds) this.holds.set(id, changed);
    return decision;
  }

  /** The expiry loop at `nowMs`: the pending holds due by then expire. */
  expire(nowMs: number): Entry[] {
    const due = [...this.holds.values()].filter((h) => h.status === 'PENDING' && h.expiresAtMs <= nowMs);
    const book = new Book((key) => this.accounts.get(key), LIMITS);
    const expired = expireHolds(due, book);
    this.append(expired.entries);
    for (const [key, account] of book.changed) this.accounts.set(key, account);
    for (const changed of expired.holds) this.holds.set(changed.id, changed);
    return expired.entries;
  }

  account(userId: string, asset = 'BDP'): Account {
    return this.accounts.get(accountKey(userId, asset)) ?? { balanceMinor: 0n, heldMinor: 0n };
  }

  private append(entries: Entry[]): void {
    for (const entry of entries) {
      const key = `${entry.userId} ${entry.id} ${entry.leg}`;
      if (this.keys.has(key)) throw new Error(`entry ${key} written twice: its primary key refuses`);
      this.keys.add(key);
      this.log.push(entry);
      this.entries.set(entry.id, [...(this.entries.get(entry.id) ?? []), entry]);
    }
  }
}

/** A model whose users start with these balances of BDP (credited outside the test's story). */
export const funded = (balances: Record<string, bigint>) =>
  new LedgerModel(
    Object.entries(balances).map(([userId, balanceMinor]) => [userId, 'BDP', { balanceMinor, heldMinor: 0n }]),
  );
