import { formatWriteKey } from '@tally/contracts';
import type { WalletCommand, WalletOutcome } from '@tally/schemas';
import { formatMinor, parseAmount } from '@tally/money';

/** An asset (a currency, points, gems): a short identifier, so it reads well as a JSON key of `balances`. */
export const ASSET_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** A note for the history; printable, so it cannot forge lines in a log or a statement. */
export const REASON_MAX_LENGTH = 200;
export const REASON_PATTERN = /^[^\p{Cc}\p{Zl}\p{Zp}]+$/u;

/** One grant credits at most this many users (seed 004: 500 chat members at once). */
export const MAX_GRANT_USERS = 1000;

export type TransactionType = 'credit' | 'debit';

/** What every wallet write carries: who sent it, and how much of which asset. */
interface WalletWrite {
  source: string;
  seq: number;
  asset: string;
  /** A decimal string, checked by the route's schema and read to minor units here. */
  amount: string;
  reason?: string;
}

/** The JSON body of `POST /v1/wallets/{userId}/transactions`, once validated. */
export interface TransactionRequest extends WalletWrite {
  type: TransactionType;
}

/** The JSON body of `POST /v1/wallets/grants`, once validated (user ids unique). */
export interface GrantRequest extends WalletWrite {
  userIds: string[];
}

const commandTypes: Record<TransactionType, WalletCommand['type']> = { credit: 'CREDIT', debit: 'DEBIT' };

function toCommand(
  userId: string,
  request: WalletWrite,
  type: WalletCommand['type'],
  grant: boolean,
  receivedAtMs: number,
): WalletCommand {
  return {
    source: request.source,
    seq: request.seq,
    userId,
    type,
    asset: request.asset,
    amountMinor: parseAmount(request.amount),
    reason: request.reason ?? null,
    grant,
    receivedAtMs,
  };
}

/** One credit or debit of one user's balance. */
export function toTransactionCommand(userId: string, request: TransactionRequest, receivedAtMs: number): WalletCommand {
  return toCommand(userId, request, commandTypes[request.type], false, receivedAtMs);
}

/**
 * One credit per user, all named by the grant's (source, seq): the ledger tells them apart by user, so no two
 * members' credits can ever be taken for one (seed 004 lost history rows to a timestamp-and-user message id).
 */
export function toGrantCommands(request: GrantRequest, receivedAtMs: number): WalletCommand[] {
  const { userIds, ...write } = request;
  return userIds.map((userId) => toCommand(userId, write, 'CREDIT', true, receivedAtMs));
}

/** The id a wallet write is answered with; a grant's users all share it. */
export const walletWriteId = (request: Pick<WalletWrite, 'source' | 'seq'>): string => formatWriteKey(request);

/** What `?wait=true` answers once the ledger has decided. */
export interface TransactionOutcome {
  id: string;
  status: 'applied' | 'rejected';
  /** The user's balance of the asset after this transaction, as a decimal string. */
  balance: string;
  /** Why it was rejected (insufficient_funds). */
  reason?: string;
}

export function toTransactionOutcome(outcome: WalletOutcome): TransactionOutcome {
  return {
    id: outcome.id,
    status: outcome.status === 'APPLIED' ? 'applied' : 'rejected',
    balance: formatMinor(outcome.balanceMinor),
    ...(outcome.reason === null ? {} : { reason: outcome.reason }),
  };
}
