import { keyHeaders } from './key';

/**
 * Typed reads of the public GET API (same origin), with the operator's key: wallets need `wallets:read` for that
 * user, tickets `queues:read` for that queue, and the gateway answers 401/403 otherwise, shown as the message.
 * Failures become a message, never a throw.
 */

export type Fetched<T> = { ok: true; value: T } | { ok: false; message: string };

export interface WalletBalances {
  userId: string;
  balances: Record<string, string>; // asset → decimal string, e.g. "12.34"
  available?: Record<string, string>; // what no pending hold keeps: what can be spent
  held?: Record<string, string>; // what pending holds keep of the balance
  asOf: number;
}

export type WalletEntryType = 'credit' | 'debit' | 'transfer' | 'hold' | 'capture' | 'release' | 'expiry';

export interface WalletTransaction {
  id: string;
  type: WalletEntryType;
  asset: string;
  amount: string;
  status: string; // applied | rejected
  reason?: string; // why it was rejected
  note?: string; // the reason the writer gave
  grant?: boolean;
  group?: boolean; // a member of a linked group (all or none)
  leg?: number; // a write's further entry for the same user (a hold's expiry is leg 1 of the hold's id)
  from?: string; // a transfer or paid capture: who paid
  to?: string; // ... and who was paid
  holdId?: string;
  balanceAfter: string;
  heldAfter?: string;
  availableAfter?: string;
  at?: number;
}

export interface WalletHistory {
  userId: string;
  transactions: WalletTransaction[];
}

/** Later writes that reused a transaction's id with another body: each refused, the first write stands. */
export interface WriteConflict {
  reason: string; // id_reused_with_different_<field>
  field: string;
  at: number;
}

export interface TransactionDetail extends Partial<WalletTransaction> {
  id: string;
  status: string;
  member?: number; // a rejected group: the member that failed
  conflicts?: WriteConflict[];
}

export interface HoldView {
  id: string;
  asset: string;
  amount: string;
  status: string; // pending | captured | released | expired
  captured?: string;
  to?: string;
  expiresAt: number;
  at: number;
}

export interface TicketView {
  ticketId?: string;
  status: string; // waiting | active | expired | left | completed | abandoned
  /** Null in the pre-queue: the order is drawn at the opening and not shown before. */
  position: number | null;
  waitingTotal: number;
  estimatedWaitSeconds: number | null;
  admissionToken?: string;
  expiresAt?: number;
  /** In the pre-queue: when the queue opens (epoch ms). */
  opensAt?: number;
}

/** The API's error body is `{error, message}`; anything else is described by the status line. */
function problemMessage(body: unknown, res: Response): string {
  if (typeof body === 'object' && body !== null && 'message' in body && typeof body.message === 'string')
    return body.message;
  return `${res.status} ${res.statusText || 'error'}`.trim();
}

async function getJson<T>(path: string): Promise<Fetched<T>> {
  try {
    const res = await fetch(path, { headers: { accept: 'application/json', ...keyHeaders() }, cache: 'no-store' });
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) return { ok: false, message: problemMessage(body, res) };
    if (body === undefined) return { ok: false, message: 'the answer was not JSON' };
    return { ok: true, value: body as T };
  } catch (error) {
    return { ok: false, message: `network error: ${error instanceof Error ? error.message : String(error)}` };
  }
}

const enc = encodeURIComponent;

export const fetchWallet = (userId: string) => getJson<WalletBalances>(`/v1/wallets/${enc(userId)}`);

export const fetchWalletHistory = (userId: string, limit = 20) =>
  getJson<WalletHistory>(`/v1/wallets/${enc(userId)}/transactions?limit=${limit}`);

export const fetchTransaction = (userId: string, id: string) =>
  getJson<TransactionDetail>(`/v1/wallets/${enc(userId)}/transactions/${enc(id)}`);

export const fetchHold = (userId: string, holdId: string) =>
  getJson<HoldView>(`/v1/wallets/${enc(userId)}/holds/${enc(holdId)}`);

export const fetchTicket = (queueId: string, ticketId: string) =>
  getJson<TicketView>(`/v1/queues/${enc(queueId)}/tickets/${enc(ticketId)}`);
