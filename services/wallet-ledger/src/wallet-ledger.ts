import { formatWriteKey } from '@tally/contracts';
import type { TopicCodec, WalletCommand, WalletOutcome } from '@tally/schemas';
import type { BatchHandler, Rejection, TypedProducer } from '@tally/streaming';
import { commandKey, decide, refusal, type Command, type Entry } from './domain/ledger.js';

/** An entry as the ledger holds it: what the domain decided, and when it was written. */
export interface StoredEntry extends Entry {
  appliedAtMs: number;
}

/**
 * What applying a batch needs from the ledger's storage, inside one transaction that holds the partition:
 * the state the batch touches is loaded first, the domain decides, the result is written.
 */
export interface LedgerBatchStore {
  /** The entries already recorded for these commands, by `commandKey`. */
  recorded(commands: Command[]): Promise<Map<string, StoredEntry>>;
  /** The balances the commands touch, by `balanceKey` (a balance never written is absent: zero). */
  balances(commands: Command[]): Promise<Map<string, bigint>>;
  /** Appends new entries in the given order; returns them as stored, by `commandKey`. */
  append(entries: Entry[]): Promise<Map<string, StoredEntry>>;
  /** Sets balances, by `balanceKey`. */
  writeBalances(balances: Map<string, bigint>): Promise<void>;
}

/** The port the use case writes through: one transaction per batch, serialised per partition. */
export interface LedgerPort {
  inPartition<T>(partition: number, work: (batch: LedgerBatchStore) => Promise<T>): Promise<T>;
}

export interface LedgerDeps {
  store: LedgerPort;
  producer: TypedProducer;
  outcomes: TopicCodec<WalletOutcome>;
}

/**
 * A partition's batch of commands: one Postgres transaction appends the entries and moves the balances, then
 * every command's outcome is published (acks=all); only then does the runtime commit the offsets. A crash in
 * between redelivers the batch: the ledger recognises every command and publishes the same outcomes again.
 */
export function walletCommandHandler(deps: LedgerDeps): BatchHandler<WalletCommand> {
  return async ({ partition, records }) => {
    const rejected: Rejection<WalletCommand>[] = [];
    const commands: Command[] = [];
    for (const record of records) {
      const command = toCommand(record.value);
      const reason = refusal(command);
      if (reason) rejected.push({ record, reason });
      else commands.push(command);
    }
    if (commands.length === 0) return { rejected };
    const outcomes = await applyCommands(deps.store, partition, commands);
    await deps.producer.sendAll(
      deps.outcomes,
      outcomes.map((o) => ({ key: o.userId, value: toOutcome(o) })),
    );
    return { rejected };
  };
}

/**
 * The use case: load what the batch touches, decide (domain/ledger.ts), write the new entries and balances.
 * Returns one outcome per command, in order (a repeated command: its first one, as stored).
 */
export function applyCommands(store: LedgerPort, partition: number, commands: Command[]): Promise<StoredEntry[]> {
  return store.inPartition(partition, async (batch) => {
    const recorded = await batch.recorded(commands);
    const balances = await batch.balances(commands);
    const decision = decide(commands, balances, recorded);
    const written = await batch.append(decision.entries);
    await batch.writeBalances(decision.balances);
    // a repeated command's outcome is its recorded entry, already a StoredEntry; a new one is as written
    return decision.outcomes.map((o) => written.get(commandKey(o.userId, o.id)) ?? (o as StoredEntry));
  });
}

function toCommand(value: WalletCommand): Command {
  return {
    userId: value.userId,
    id: formatWriteKey(value),
    type: value.type,
    asset: value.asset,
    amountMinor: BigInt(value.amountMinor),
    reason: value.reason,
    grant: value.grant,
    requestedAtMs: value.receivedAtMs,
  };
}

function toOutcome(entry: StoredEntry): WalletOutcome {
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
  };
}
