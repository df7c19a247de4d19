import { conflictReason, formatWriteKey } from '@tally/contracts';
import type { WriteConflicts } from '@tally/observability';
import type { TopicCodec, WalletCommand, WalletOutcome } from '@tally/schemas';
import type { BatchHandler, Rejection, TypedProducer } from '@tally/streaming';
import { expireHolds, type Hold } from './domain/holds.js';
import {
  Book,
  accountKey,
  decide,
  refusal,
  type Account,
  type AssetLimits,
  type Command,
  type Conflict,
  type Entry,
  type Member,
  type Outcome,
  type RecordedWrite,
} from './domain/ledger.js';
import { accountsTouched } from './domain/accounts-touched.js';

/** An entry as the ledger holds it: what the domain decided, and when it was written. */
export interface StoredEntry extends Entry {
  appliedAtMs: number;
}

export interface AccountRef {
  userId: string;
  asset: string;
}

/**
 * What applying a batch needs from the ledger's storage, inside one transaction: the accounts the batch touches
 * are locked first, then what it reads is loaded, the domain decides, the result is written.
 */
export interface LedgerBatchStore {
  /** Locks the accounts (made beforehand by ensureAccounts) and reads them, by `accountKey`. */
  lockAccounts(accounts: AccountRef[]): Promise<Map<string, Account>>;
  holds(ids: string[]): Promise<Map<string, Hold>>;
  writes(ids: string[]): Promise<Map<string, RecordedWrite>>;
  /** Recorded entries by write id, in the order they were written. */
  entries(ids: string[]): Promise<Map<string, StoredEntry[]>>;
  appendEntries(entries: Entry[]): Promise<StoredEntry[]>;
  recordWrites(writes: RecordedWrite[]): Promise<void>;
  recordConflicts(conflicts: Conflict[]): Promise<void>;
  saveHolds(holds: Hold[]): Promise<void>;
  writeAccounts(accounts: Map<string, Account>): Promise<void>;
  /** Records that the partition has been applied up to this receipt time (it never goes back). */
  advance(partition: number, requestedAtMs: number): Promise<void>;
}

/** The port the use case writes through. */
export interface LedgerPort {
  /** Makes the accounts' rows (empty) where missing, in a statement of its own, before any lock is taken. */
  ensureAccounts(accounts: AccountRef[]): Promise<void>;
  /** Holds by id, outside any transaction: a capture's accounts are its hold's. */
  holds(ids: string[]): Promise<Map<string, Hold>>;
  inTransaction<T>(work: (batch: LedgerBatchStore) => Promise<T>): Promise<T>;
  dueHolds(dueAtMs: number, limit: number): Promise<Hold[]>;
}

export interface LedgerDeps {
  store: LedgerPort;
  producer: TypedProducer;
  outcomes: TopicCodec<WalletOutcome>;
  limits: AssetLimits;
  /** tally_write_conflicts_total: ids reused with another body. */
  conflicts?: WriteConflicts;
}

/**
 * A partition's batch of commands: one Postgres transaction, holding the locks of every account the batch
 * touches, appends the entries and moves the balances; then every command's outcomes are published (acks=all);
 * only then does the runtime commit the offsets. A crash in between redelivers the batch: the ledger recognises
 * every write and publishes the same outcomes again.
 */
export function walletCommandHandler(deps: LedgerDeps): BatchHandler<WalletCommand> {
  return async ({ partition, records }) => {
    const rejected: Rejection<WalletCommand>[] = [];
    const commands: Command[] = [];
    for (const record of records) {
      const command = toCommand(record.value);
      const reason = memberTypeRefusal(record.value) ?? refusal(command, deps.limits);
      if (reason) rejected.push({ record, reason });
      else commands.push(command);
    }
    if (commands.length === 0) return { rejected };
    const outcomes = await applyCommands(deps.store, commands, deps.limits, partition);
    for (const { conflict } of outcomes) if (conflict) deps.conflicts?.count(conflictReason(conflict.field));
    await deps.producer.sendAll(
      deps.outcomes,
      outcomes.flatMap(toOutcomes).map((o) => ({ key: o.userId, value: o })),
    );
    return { rejected };
  };
}

/**
 * The use case: lock what the batch touches, load it, decide (domain/), write the new entries, writes, holds and
 * balances. Returns one outcome per command, in order (a repeated write: its recorded entries).
 */
export type StoredOutcome = Omit<Outcome, 'entries'> & { entries: StoredEntry[] };

export async function applyCommands(
  store: LedgerPort,
  commands: Command[],
  limits: AssetLimits,
  partition?: number,
): Promise<StoredOutcome[]> {
  const holdIds = [...new Set(commands.flatMap((c) => (c.holdId ? [c.holdId] : [])))];
  const accounts = accountsTouched(commands, await store.holds(holdIds));
  await store.ensureAccounts(accounts);
  return store.inTransaction(async (batch) => {
    const ids = [...new Set(commands.map((c) => c.id))];
    const loaded = await locked(batch, accounts);
    const [holds, writes, entries] = await Promise.all([batch.holds(holdIds), batch.writes(ids), batch.entries(ids)]);
    const decision = decide(commands, { accounts: loaded, holds, writes, entries }, limits);
    const stored = await batch.appendEntries(decision.entries);
    await batch.recordWrites(decision.writes);
    await batch.recordConflicts(decision.conflicts);
    await batch.saveHolds([...decision.holds.values()]);
    await batch.writeAccounts(decision.accounts);
    if (partition !== undefined) await batch.advance(partition, Math.max(...commands.map((c) => c.requestedAtMs)));
    return withStoredTimes(decision.outcomes, stored);
  });
}

/**
 * Until when holds may expire: wall-clock time less the grace, but never past where the log has been applied.
 * A partition still being read (lag) holds it back at the receipt time of its newest applied command, so a
 * capture accepted before a hold's time, still waiting to be read (after a crash, in a replay, in a rebuild from
 * the first offset), finds the hold pending as the live run did; a partition read to its end does not hold it back.
 */
export function expiryWatermark(
  nowMs: number,
  graceMs: number,
  partitions: { partition: number; lag: number }[],
  progress: ReadonlyMap<number, number>,
): number {
  const behind = partitions.filter((p) => p.lag > 0).map((p) => progress.get(p.partition) ?? 0);
  return Math.min(nowMs - graceMs, ...behind);
}

/**
 * The expiry loop's step: pending holds due by `dueAtMs` release what they keep, their owners' accounts locked as
 * a batch's are. Returns the expiry entries written (none when another instance expired them first).
 */
export async function expireDueHolds(
  store: LedgerPort,
  dueAtMs: number,
  limits: AssetLimits,
  max = 500,
): Promise<StoredEntry[]> {
  const due = await store.dueHolds(dueAtMs, max);
  if (due.length === 0) return [];
  const accounts = due.map((h) => ({ userId: h.userId, asset: h.asset }));
  return store.inTransaction(async (batch) => {
    const loaded = await locked(batch, accounts);
    // read again under the locks: a capture or another instance may have settled some since
    const current = await batch.holds(due.map((h) => h.id));
    const book = new Book((key) => loaded.get(key), limits);
    const expired = expireHolds(
      [...current.values()].filter((h) => h.expiresAtMs <= dueAtMs),
      book,
    );
    const stored = await batch.appendEntries(expired.entries);
    await batch.saveHolds(expired.holds);
    await batch.writeAccounts(book.changed);
    return stored;
  });
}

/**
 * Locks the accounts and reads them; every one must be there (ensureAccounts made them): an account missing
 * here would be read as empty and written to nobody, so the batch stops instead.
 */
async function locked(batch: LedgerBatchStore, accounts: AccountRef[]): Promise<Map<string, Account>> {
  const loaded = await batch.lockAccounts(accounts);
  const missing = accounts.find((a) => !loaded.has(accountKey(a.userId, a.asset)));
  if (missing) throw new Error(`account ${missing.userId}/${missing.asset} was not there to lock`);
  return loaded;
}

/** The outcomes with the entries as stored (with their applied time); recorded ones already are. */
function withStoredTimes(outcomes: Outcome[], stored: StoredEntry[]): StoredOutcome[] {
  const byKey = new Map(stored.map((e) => [`${e.userId}\u0000${e.id}\u0000${e.leg}`, e]));
  return outcomes.map((o) => ({
    ...o,
    entries: o.entries.map((e) => byKey.get(`${e.userId}\u0000${e.id}\u0000${e.leg}`) ?? (e as StoredEntry)),
  }));
}

const MEMBER_TYPES = new Set(['CREDIT', 'DEBIT', 'TRANSFER']);
const memberTypeRefusal = (value: WalletCommand) =>
  value.members.some((m) => !MEMBER_TYPES.has(m.type))
    ? 'a group member is a CREDIT, a DEBIT or a TRANSFER'
    : undefined;

export function toCommand(value: WalletCommand): Command {
  return {
    id: formatWriteKey(value),
    userId: value.userId,
    type: value.type,
    asset: value.asset,
    amountMinor: BigInt(value.amountMinor),
    reason: value.reason,
    grant: value.grant,
    grantDigest: value.grantDigest,
    requestedAtMs: value.receivedAtMs,
    to: value.to,
    holdId: value.holdId,
    timeoutMs: value.timeoutMs,
    members: value.members.map((m) => ({
      ...m,
      type: m.type as Member['type'],
      amountMinor: BigInt(m.amountMinor),
    })),
  };
}

/**
 * What the outcomes topic hears of a command: one outcome per entry (a transfer: both sides; a retry: the
 * recorded ones), or, for a reused id, one REJECTED outcome to the command's user with `conflict` set.
 */
export function toOutcomes(outcome: StoredOutcome): WalletOutcome[] {
  const { command, conflict } = outcome;
  if (conflict)
    return [
      {
        id: command.id,
        userId: command.userId,
        type: command.type,
        asset: command.asset,
        amountMinor: Number(command.amountMinor),
        status: 'REJECTED',
        reason: conflictReason(conflict.field),
        balanceMinor: 0,
        appliedAtMs: conflict.requestedAtMs,
        heldMinor: 0,
        conflict: true,
        member: null,
        to: command.to,
        holdId: command.holdId,
        expiresAtMs: null,
      },
    ];
  return outcome.entries.map((entry) => toOutcome(entry, outcome));
}

export function toOutcome(entry: StoredEntry, outcome?: Pick<Outcome, 'command' | 'member'>): WalletOutcome {
  const command = outcome?.command;
  return {
    id: entry.id,
    userId: entry.userId,
    type: entry.type,
    asset: entry.asset,
    amountMinor: Number(entry.amountMinor),
    status: entry.status,
    reason: entry.rejection,
    balanceMinor: Number(entry.balanceAfterMinor),
    appliedAtMs: entry.appliedAtMs,
    heldMinor: Number(entry.heldAfterMinor),
    conflict: false,
    member: outcome?.member ?? null,
    to: entry.counterparty,
    holdId: entry.holdId,
    expiresAtMs:
      command?.type === 'HOLD' && command.timeoutMs !== null ? command.requestedAtMs + command.timeoutMs : null,
  };
}
