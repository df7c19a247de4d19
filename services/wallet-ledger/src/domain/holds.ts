/**
 * Holds, two-phase: a hold keeps an amount of a user's available balance (held, not spent) until it is
 * captured (all or part: the part is debited, and paid to the hold's `to` when it names one; the rest is
 * released), released, or expires. Expiry is judged by the gateway's receipt time of each command against the
 * hold's expiresAt, so a replay decides as the live run did; what nobody captured or released is expired by an
 * EXPIRY command the ledger's expiry loop proposes through the commands topic (ledger.ts, expireHolds).
 */
import type { Account, Applied, Book, Command, Entry, RejectionReason } from './accounts.js';

export type HoldStatus = 'PENDING' | 'CAPTURED' | 'RELEASED' | 'EXPIRED';

export interface Hold {
  /** The write id of the HOLD. */
  id: string;
  userId: string;
  asset: string;
  amountMinor: bigint;
  /** Who a capture pays; none: a capture only debits. */
  to: string | null;
  expiresAtMs: number;
  status: HoldStatus;
  capturedMinor: bigint;
  reason: string | null;
  requestedAtMs: number;
}

export function applyHold(command: Command, book: Book, holds: Map<string, Hold>): Applied {
  const { userId, asset, amountMinor } = command;
  if (book.available(userId, asset) < amountMinor) return rejected(command, book, asset, 'insufficient_funds');
  const account = book.get(userId, asset);
  book.set(userId, asset, { ...account, heldMinor: account.heldMinor + amountMinor });
  holds.set(command.id, {
    id: command.id,
    userId,
    asset,
    amountMinor,
    to: command.to,
    expiresAtMs: command.requestedAtMs + command.timeoutMs!,
    status: 'PENDING',
    capturedMinor: 0n,
    reason: command.reason,
    requestedAtMs: command.requestedAtMs,
  });
  return applied([
    entry(command, book.get(userId, asset), { asset, amountMinor, heldDeltaMinor: amountMinor, holdId: command.id }),
  ]);
}

export function applyCapture(command: Command, book: Book, holds: Map<string, Hold>): Applied {
  const hold = holds.get(command.holdId!);
  const refused = holdProblem(command, hold);
  if (refused) return rejected(command, book, hold?.asset ?? command.asset, refused);
  if (command.asset && command.asset !== hold!.asset)
    return rejected(command, book, hold!.asset, 'hold_asset_mismatch');
  const { userId, asset, amountMinor: held, to } = hold!;
  const captured = command.amountMinor === 0n ? held : command.amountMinor;
  if (captured > held) return rejected(command, book, asset, 'capture_exceeds_hold');
  if (to && book.get(to, asset).balanceMinor + captured > book.maxBalance(asset))
    return rejected(command, book, asset, 'balance_limit_exceeded');
  const owner = book.get(userId, asset);
  book.set(userId, asset, { balanceMinor: owner.balanceMinor - captured, heldMinor: owner.heldMinor - held });
  const entries = [
    entry(command, book.get(userId, asset), {
      asset,
      amountMinor: captured,
      balanceDeltaMinor: -captured,
      heldDeltaMinor: -held,
      counterparty: to,
      holdId: hold!.id,
    }),
  ];
  if (to) {
    const payee = book.get(to, asset);
    book.set(to, asset, { ...payee, balanceMinor: payee.balanceMinor + captured });
    entries.push(
      entry(command, book.get(to, asset), {
        userId: to,
        leg: 1,
        asset,
        amountMinor: captured,
        balanceDeltaMinor: captured,
        counterparty: userId,
        holdId: hold!.id,
      }),
    );
  }
  holds.set(hold!.id, { ...hold!, status: 'CAPTURED', capturedMinor: captured });
  return applied(entries);
}

export function applyRelease(command: Command, book: Book, holds: Map<string, Hold>): Applied {
  const hold = holds.get(command.holdId!);
  const refused = holdProblem(command, hold, { releasingAfterExpiry: true });
  if (refused) return rejected(command, book, hold?.asset ?? command.asset, refused);
  holds.set(hold!.id, { ...hold!, status: 'RELEASED' });
  return applied([unhold(command, book, hold!)]);
}

/**
 * The expiry of pending holds whose time has come: each releases what it keeps, as an EXPIRY entry of the hold's
 * own id (leg 1: the hold is leg 0) at its expiresAt. The owners' accounts are locked, as for any command.
 */
export function expireHolds(pending: Hold[], book: Book): { entries: Entry[]; holds: Hold[] } {
  const expired = pending.filter((hold) => hold.status === 'PENDING');
  const entries = expired.map((hold) => {
    const command: Command = {
      id: hold.id,
      userId: hold.userId,
      type: 'EXPIRY',
      asset: hold.asset,
      amountMinor: hold.amountMinor,
      reason: null,
      grant: false,
      grantDigest: null,
      requestedAtMs: hold.expiresAtMs,
      to: null,
      holdId: hold.id,
      timeoutMs: null,
      members: [],
    };
    return { ...unhold(command, book, hold), leg: 1 };
  });
  return { entries, holds: expired.map((hold) => ({ ...hold, status: 'EXPIRED' as const })) };
}

/** Gives back what the hold keeps: its owner's held goes down by its amount. */
function unhold(command: Command, book: Book, hold: Hold): Entry {
  const owner = book.get(hold.userId, hold.asset);
  book.set(hold.userId, hold.asset, { ...owner, heldMinor: owner.heldMinor - hold.amountMinor });
  return entry(command, book.get(hold.userId, hold.asset), {
    asset: hold.asset,
    amountMinor: hold.amountMinor,
    heldDeltaMinor: -hold.amountMinor,
    holdId: hold.id,
  });
}

/** Why a capture or release cannot touch this hold: it is not the user's, not pending, or past its time. */
function holdProblem(
  command: Command,
  hold: Hold | undefined,
  opts: { releasingAfterExpiry?: boolean } = {},
): RejectionReason | null {
  if (!hold || hold.userId !== command.userId) return 'hold_not_found';
  if (hold.status === 'EXPIRED') return 'hold_expired';
  if (hold.status !== 'PENDING') return 'hold_not_pending';
  // a release after the deadline does what the expiry would: let it; a capture may not take what has expired
  if (!opts.releasingAfterExpiry && command.requestedAtMs >= hold.expiresAtMs) return 'hold_expired';
  return null;
}

function entry(
  command: Command,
  after: Account,
  fields: Partial<Entry> & { asset: string; amountMinor: bigint },
): Entry {
  return {
    userId: command.userId,
    id: command.id,
    leg: 0,
    type: command.type,
    status: 'APPLIED',
    rejection: null,
    balanceDeltaMinor: 0n,
    heldDeltaMinor: 0n,
    balanceAfterMinor: after.balanceMinor,
    heldAfterMinor: after.heldMinor,
    counterparty: null,
    holdId: command.holdId,
    reason: command.reason,
    grant: false,
    requestedAtMs: command.requestedAtMs,
    ...fields,
  };
}

function rejected(command: Command, book: Book, asset: string, rejection: RejectionReason): Applied {
  const base = entry(command, book.get(command.userId, asset), { asset, amountMinor: command.amountMinor });
  return { entries: [{ ...base, status: 'REJECTED', rejection }], rejection, member: null };
}

const applied = (entries: Entry[]): Applied => ({ entries, rejection: null, member: null });
