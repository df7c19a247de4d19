import type { TopicCodec, WalletCommand, WalletOutcome } from '@tally/schemas';
import type { BatchHandler, Rejection, TypedProducer } from '@tally/streaming';
import type { LedgerStore, StoredEntry } from './adapters/postgres-ledger.js';
import { refusal, type Command } from './domain/ledger.js';

export interface LedgerDeps {
  store: LedgerStore;
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
    const outcomes = await deps.store.apply(partition, commands);
    await deps.producer.sendAll(
      deps.outcomes,
      outcomes.map((o) => ({ key: o.userId, value: toOutcome(o) })),
    );
    return { rejected };
  };
}

function toCommand(value: WalletCommand): Command {
  return {
    userId: value.userId,
    id: `${value.source}:${value.seq}`,
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
