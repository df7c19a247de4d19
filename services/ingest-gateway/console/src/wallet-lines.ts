/**
 * How the wallet panel words the ledger's answers: pure, so the rules (which way money moved, which holds may
 * still be pending) are tested without a browser.
 */
import type { WalletTransaction } from './api';

/** What an entry did to the user's balance: money in, money out, or nothing (a hold's moves, a rejection). */
export type Flow = 'in' | 'out' | 'none';

/** A true minus sign: as wide as "+" in tabular figures, so signed amounts line up. */
export const MINUS = '\u2212';

export interface HistoryLine {
  /** The kind of write: credit (or grant), debit, transfer, hold, capture, release, expiry. */
  kind: string;
  /** The other side of a transfer or a paid capture, from this user's side: "→ bob" or "← alice". */
  party?: string;
  /** The hold a capture, release or expiry acts on (a hold's own row is that hold). */
  hold?: string;
  flow: Flow;
  /** Signed by its flow ("+12.34", "−2.30"); unsigned when the balance did not move. */
  amount: string;
}

export function historyLine(tx: WalletTransaction, userId: string): HistoryLine {
  const flow = flowOf(tx, userId);
  const sign = flow === 'in' ? '+' : flow === 'out' ? MINUS : '';
  return {
    kind: tx.grant ? 'grant' : tx.type,
    ...partyOf(tx, userId),
    ...(tx.holdId && tx.type !== 'hold' ? { hold: tx.holdId } : {}),
    flow,
    amount: `${sign}${tx.amount}`,
  };
}

function flowOf(tx: WalletTransaction, userId: string): Flow {
  // a rejected write moved nothing, whatever its kind
  if (tx.status !== 'applied') return 'none';
  switch (tx.type) {
    case 'credit':
      return 'in';
    case 'debit':
      return 'out';
    case 'transfer':
    case 'capture':
      // a capture without a payee only debits its owner; with one, the payee's row is the one paid
      return tx.to === userId ? 'in' : 'out';
    default:
      // hold, release, expiry: they move what is held, never the balance
      return 'none';
  }
}

function partyOf(tx: WalletTransaction, userId: string): { party?: string } {
  if (!tx.from || !tx.to) return {};
  return tx.to === userId ? { party: `← ${tx.from}` } : { party: `→ ${tx.to}` };
}

/** "0.00", "0", "000.0": nothing. The API's decimals are unsigned, at the asset's scale. */
export const isZero = (decimal: string): boolean => /^0*(\.0*)?$/.test(decimal);

const ENDS_A_HOLD = new Set(['capture', 'release', 'expiry']);

/**
 * The holds this history placed and does not show ending (no applied capture, release or expiry of them): the
 * ones worth asking about, newest first. A hold placed before the history's oldest entry is not among them.
 */
export function unsettledHolds(transactions: readonly WalletTransaction[]): string[] {
  const ended = new Set(
    transactions.filter((tx) => tx.status === 'applied' && ENDS_A_HOLD.has(tx.type)).map((tx) => tx.holdId),
  );
  return transactions
    .filter((tx) => tx.type === 'hold' && tx.status === 'applied')
    .map((tx) => tx.holdId ?? tx.id)
    .filter((id) => !ended.has(id));
}

/** Time left until a hold expires: "in 42 s", "in 3 min", "in 5 h", "in 2 d"; "due" once its time has come. */
export function expiresIn(expiresAtMs: number, nowMs: number): string {
  const seconds = Math.ceil((expiresAtMs - nowMs) / 1000);
  // past its time the ledger's expiry loop releases it within a few seconds (HOLD_EXPIRY_GRACE_MS)
  if (seconds <= 0) return 'due';
  if (seconds < 120) return `in ${seconds} s`;
  if (seconds < 7200) return `in ${Math.floor(seconds / 60)} min`;
  if (seconds < 172_800) return `in ${Math.floor(seconds / 3600)} h`;
  return `in ${Math.floor(seconds / 86_400)} d`;
}
