import type { WriteKey } from '@tally/contracts';
import { parseAmount } from '@tally/money';
import type { QueueCommand, WalletCommand } from '@tally/schemas';

/**
 * The commands the benches write straight to Kafka, as the gateway writes them: built from the records' Avro
 * types (@tally/schemas) alone, since what an owner consumes is that contract, not the gateway's code.
 */

type QueueDetails = Partial<Pick<QueueCommand, 'ticketId' | 'userId' | 'capacity' | 'activeSeconds'>>;

/** A client's queue command (CONFIGURE, JOIN, LEAVE, COMPLETE): the fields its kind does not use are null. */
export function queueCommand(
  queueId: string,
  kind: Exclude<QueueCommand['kind'], 'ADMIT' | 'EXPIRE'>,
  { source, seq }: WriteKey,
  receivedAtMs: number,
  details: QueueDetails = {},
): QueueCommand {
  return {
    source,
    seq,
    queueId,
    kind,
    ticketId: null,
    userId: null,
    capacity: null,
    activeSeconds: null,
    receivedAtMs,
    ticketIds: null,
    atMs: null,
    basisOffset: null,
    ...details,
  };
}

/** One credit or debit of one user's balance, its amount a decimal string as a client sends it. */
export function walletCommand(
  userId: string,
  write: WriteKey & { type: 'credit' | 'debit'; asset: string; amount: string },
  receivedAtMs: number,
): WalletCommand {
  return {
    source: write.source,
    seq: write.seq,
    userId,
    type: write.type === 'credit' ? 'CREDIT' : 'DEBIT',
    asset: write.asset,
    amountMinor: parseAmount(write.amount),
    reason: null,
    grant: false,
    receivedAtMs,
  };
}
