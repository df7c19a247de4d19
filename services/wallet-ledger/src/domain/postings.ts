/**
 * Credits, debits, transfers and linked groups: postings that move balances. A group's members apply in order on
 * a scratch layer of the book, all or none: the first that fails rejects the whole group with its reason.
 */
import type { Applied, Book, Command, Entry, Member, RejectionReason } from './accounts.js';

/** A credit, debit or transfer is a group of one; a group is its members. */
export function postingsOf(command: Command): Member[] {
  if (command.type === 'GROUP') return command.members;
  const type = command.type === 'DEBIT' ? 'DEBIT' : command.type === 'TRANSFER' ? 'TRANSFER' : 'CREDIT';
  return [
    {
      userId: command.userId,
      type,
      asset: command.asset,
      amountMinor: command.amountMinor,
      to: command.to,
      reason: command.reason,
    },
  ];
}

export function applyPostings(command: Command, members: Member[], book: Book): Applied {
  const applied = book.attempt((scratch) => {
    const entries: Entry[] = [];
    for (const [index, member] of members.entries()) {
      const rejection = post(member, scratch);
      if (rejection) return { entries, rejection, member: command.type === 'GROUP' ? index : null };
      entries.push(...sidesOf(command, member, index, scratch));
    }
    return { entries, rejection: null, member: null };
  });
  if (!applied.rejection) return applied;
  // nothing moved: every member is recorded as rejected with the group's reason, at the balances as they are
  return { ...applied, entries: rejectedSides(command, members, applied.rejection, book) };
}

/** Moves one member's amount in the book, or says why it may not. */
function post(member: Member, book: Book): RejectionReason | null {
  const { userId, asset, amountMinor } = member;
  if (member.type === 'CREDIT') return credit(book, userId, asset, amountMinor);
  if (book.available(userId, asset) < amountMinor) return 'insufficient_funds';
  if (member.type === 'TRANSFER') {
    const rejection = credit(book, member.to!, asset, amountMinor);
    if (rejection) return rejection;
  }
  const from = book.get(userId, asset);
  book.set(userId, asset, { ...from, balanceMinor: from.balanceMinor - amountMinor });
  return null;
}

function credit(book: Book, userId: string, asset: string, amountMinor: bigint): RejectionReason | null {
  const account = book.get(userId, asset);
  if (account.balanceMinor + amountMinor > book.maxBalance(asset)) return 'balance_limit_exceeded';
  book.set(userId, asset, { ...account, balanceMinor: account.balanceMinor + amountMinor });
  return null;
}

/** A member's entries once applied: one per user it moved (a transfer: the sender's, then the receiver's). */
function sidesOf(command: Command, member: Member, index: number, book: Book): Entry[] {
  const leg = command.type === 'GROUP' ? index : 0;
  const amount = member.amountMinor;
  const side = (userId: string, delta: bigint, legOf: number, counterparty: string | null): Entry => {
    const after = book.get(userId, member.asset);
    return {
      ...entryBase(command, member, userId, legOf),
      status: 'APPLIED',
      rejection: null,
      balanceDeltaMinor: delta,
      heldDeltaMinor: 0n,
      balanceAfterMinor: after.balanceMinor,
      heldAfterMinor: after.heldMinor,
      counterparty,
    };
  };
  if (member.type === 'CREDIT') return [side(member.userId, amount, leg, null)];
  if (member.type === 'DEBIT') return [side(member.userId, -amount, leg, null)];
  // a transfer's receiver is leg 1 alone, a group member's receiver shares the member's leg (distinct users)
  return [
    side(member.userId, -amount, leg, member.to),
    side(member.to!, amount, command.type === 'GROUP' ? leg : 1, member.userId),
  ];
}

/** A rejected write's entries: each member's user (a transfer: its sender) sees it, nothing moved. */
function rejectedSides(command: Command, members: Member[], rejection: RejectionReason, book: Book): Entry[] {
  return members.map((member, index) => {
    const account = book.get(member.userId, member.asset);
    return {
      ...entryBase(command, member, member.userId, command.type === 'GROUP' ? index : 0),
      status: 'REJECTED',
      rejection,
      balanceDeltaMinor: 0n,
      heldDeltaMinor: 0n,
      balanceAfterMinor: account.balanceMinor,
      heldAfterMinor: account.heldMinor,
      counterparty: member.type === 'TRANSFER' ? member.to : null,
    };
  });
}

function entryBase(command: Command, member: Member, userId: string, leg: number) {
  return {
    userId,
    id: command.id,
    leg,
    type: command.type === 'GROUP' ? member.type : command.type,
    asset: member.asset,
    amountMinor: member.amountMinor,
    holdId: null,
    reason: member.reason ?? command.reason,
    grant: command.grant,
    requestedAtMs: command.requestedAtMs,
  };
}
