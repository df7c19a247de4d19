import { conflictReason, formatWriteKey } from '@tally/contracts';
import type { WriteConflicts } from '@tally/observability';
import { walletCommand, type TopicCodec, type WalletCommand, type WalletOutcome } from '@tally/schemas';
import type { BatchHandler, Rejection, TypedProducer } from '@tally/streaming';
import type { Hold } from './domain/holds.js';
import {
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
  /** Locks the accounts' rows that exist, in one sorted order, and reads them, by `accountKey`. */
  lockAccounts(accounts: AccountRef[]): Promise<Map<string, Account>>;
  holds(ids: string[]): Promise<Map<string, Hold>>;
  writes(ids: string[]): Promise<Map<string, RecordedWrite>>;
  /** The recorded entries of these users for these write ids, by write id, in the order they were written. */
  entries(keys: { userId: string; id: string }[]): Promise<Map<string, StoredEntry[]>>;
  appendEntries(entries: Entry[]): Promise<StoredEntry[]>;
  /**
   * Records new writes, in one sorted order, unless another batch has recorded the id: returns how many it
   * recorded (an id recorded meanwhile by a batch still open is waited for).
   */
  recordWrites(writes: RecordedWrite[]): Promise<number>;
  recordConflicts(conflicts: Conflict[]): Promise<void>;
  saveHolds(holds: Hold[]): Promise<void>;
  writeAccounts(accounts: Map<string, Account>): Promise<void>;
}

/** The port the use case writes through. */
export interface LedgerPort {
  /** Makes the accounts' rows (empty) where missing, in a statement of its own, outside any batch's transaction. */
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
  return async ({ records }) => {
    const rejected: Rejection<WalletCommand>[] = [];
    const commands: Command[] = [];
    for (const record of records) {
      const command = toCommand(record.value);
      const reason = memberTypeRefusal(record.value) ?? refusal(command, deps.limits);
      if (reason) rejected.push({ record, reason });
      else commands.push(command);
    }
    if (commands.length === 0) return { rejected };
    const outcomes = await applyCommands(deps.store, commands, deps.limits);
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
): Promise<StoredOutcome[]> {
  const holdIds = [...new Set(commands.flatMap((c) => (c.holdId ? [c.holdId] : [])))];
  const ids = [...new Set(commands.map((c) => c.id))];
  const recordedHolds = await store.holds(holdIds);
  const accounts = accountsTouched(commands, recordedHolds);
  // the entries a retried write answers with are its users', which the write names (a capture: by its hold)
  const entryKeys = commands.flatMap((c) =>
    c.type === 'EXPIRY' ? [] : accountsTouched([c], recordedHolds).map(({ userId }) => ({ userId, id: c.id })),
  );
  for (let attempt = 1; ; attempt++) {
    try {
      return await store.inTransaction(async (batch) => {
        const loaded = await batch.lockAccounts(accounts);
        const missing = accounts.filter((a) => !loaded.has(accountKey(a.userId, a.asset)));
        if (missing.length > 0) throw new AccountsMissing(missing);
        const writes = await batch.writes(ids);
        // only a write recorded before can have entries: a batch of new writes reads none
        const [holds, entries] = await Promise.all([
          batch.holds(holdIds),
          batch.entries(entryKeys.filter((k) => writes.has(k.id))),
        ]);
        const decision = decide(commands, { accounts: loaded, holds, writes, entries }, limits);
        // an id that another batch recorded since it was read (a grant's users decided at once on two partitions,
        // whose accounts do not overlap) is not recorded twice: this batch starts again and finds it written
        if ((await batch.recordWrites(decision.writes)) < decision.writes.length) throw new WriteIdTaken();
        const stored = await batch.appendEntries(decision.entries);
        await batch.recordConflicts(decision.conflicts);
        await batch.saveHolds([...decision.holds.values()]);
        await batch.writeAccounts(decision.accounts);
        return withStoredTimes(decision.outcomes, stored);
      });
    } catch (error) {
      if (attempt >= 5) throw error;
      // accounts seen for the first time are made (empty) in a statement of their own, never inside the batch's
      // transaction, which would then hold a fresh row out of the one lock order; then the batch starts again
      if (error instanceof AccountsMissing) await store.ensureAccounts(error.accounts);
      else if (!(error instanceof WriteIdTaken)) throw error;
    }
  }
}

/** Accounts the batch touches that have no row yet. */
class AccountsMissing extends Error {
  constructor(readonly accounts: AccountRef[]) {
    super(`${accounts.length} accounts have no row yet`);
  }
}

/** A write id of the batch was recorded by another batch between reading and writing it. */
class WriteIdTaken extends Error {
  constructor() {
    super('a write id of the batch was recorded by another batch meanwhile');
  }
}

/**
 * The expiry loop's step: an EXPIRY command for each pending hold due by `dueAtMs` (not one proposed in the last
 * `reproposeAfterMs`), keyed by its owner as their other commands are, timed at the hold's expiresAt. It is
 * applied when it is read, after whatever the log holds before it (a capture asked in time still wins), so a
 * replay or a rebuild meets each expiry where the live run did. Proposing twice is harmless: a settled hold
 * ignores it.
 */
export async function proposeExpiries(
  deps: Pick<LedgerDeps, 'store' | 'producer'> & { commands: TopicCodec<WalletCommand> },
  dueAtMs: number,
  proposed: Map<string, number>,
  nowMs: number,
  reproposeAfterMs = 30_000,
): Promise<number> {
  for (const [id, at] of proposed) if (at <= nowMs - reproposeAfterMs) proposed.delete(id);
  const due = (await deps.store.dueHolds(dueAtMs, 1000)).filter((hold) => !proposed.has(hold.id));
  if (due.length === 0) return 0;
  await deps.producer.sendAll(
    deps.commands,
    due.map((hold) => ({ key: hold.userId, value: expiryCommand(hold) })),
  );
  for (const hold of due) proposed.set(hold.id, nowMs);
  return due.length;
}

/** An EXPIRY names its hold; its (source, seq) is the ledger's and names nothing (it is not a client's write). */
export const expiryCommand = (hold: Hold): WalletCommand =>
  walletCommand({
    source: 'wallet-ledger.expiry',
    seq: 0,
    userId: hold.userId,
    type: 'EXPIRY',
    asset: hold.asset,
    amountMinor: Number(hold.amountMinor),
    receivedAtMs: hold.expiresAtMs,
    holdId: hold.id,
  });

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
  // the balance after the command, not after one of its legs: a group may move one user's asset twice
  const last = new Map(outcome.entries.map((e) => [accountKey(e.userId, e.asset), e]));
  return outcome.entries.map((entry) => {
    const after = last.get(accountKey(entry.userId, entry.asset))!;
    return toOutcome(
      { ...entry, balanceAfterMinor: after.balanceAfterMinor, heldAfterMinor: after.heldAfterMinor },
      outcome,
    );
  });
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
