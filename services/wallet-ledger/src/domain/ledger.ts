/**
 * The rules of wallet-ledger: what a batch of commands does to accounts and holds. Pure; the use case
 * (wallet-ledger.ts) loads what the batch touches through its port, with every account it touches locked, calls
 * `decide`, and writes what it returns in the same transaction.
 *
 * - A write is named by its (source, seq), its id. Its body may never change: the same id with another body is a
 *   conflict, answered `id_reused_with_different_<field>` and recorded, while the first write stands
 *   (TigerBeetle's exists_with_different_*). The same id with the same body is a retry: its first outcome again.
 *   A grant is one write credited to many users, one command each: the grant's digest of its users is its body.
 * - An account is (user, asset): a balance, and what holds keep of it (held). available = balance - held, and
 *   nothing ever takes available below zero. Amounts are integer minor units (bigint), never floats.
 * - Every command becomes entries, applied or rejected, one per (user, leg); a rejected write changes nothing.
 *   The rules of each kind live beside: postings.ts (credits, debits, transfers, groups), holds.ts.
 */
import { conflictingField, type WriteBody } from './write-bodies.js';
import { applyCapture, applyHold, applyRelease, expireHolds, type Hold } from './holds.js';
import { applyPostings, postingsOf } from './postings.js';
import {
  Book,
  type Account,
  type Applied,
  type AssetLimits,
  type Command,
  type Entry,
  type Member,
  type RejectionReason,
  type Status,
} from './accounts.js';

export {
  Book,
  accountKey,
  accountOf,
  type Account,
  type Applied,
  type AssetLimits,
  type Command,
  type CommandType,
  type Entry,
  type Member,
  type RejectionReason,
  type Status,
} from './accounts.js';

/** What a write decided, kept with its body: a retry hears it again, a reuse is measured against the body. */
export interface RecordedWrite {
  id: string;
  body: WriteBody;
  status: Status;
  rejection: RejectionReason | null;
  /** A rejected group: the member that failed. */
  member: number | null;
  requestedAtMs: number;
}

export interface Conflict {
  id: string;
  userId: string;
  field: string;
  body: WriteBody;
  requestedAtMs: number;
}

/** What one command answers: its entries (a retry: the recorded ones), or the conflict it is. */
export interface Outcome {
  command: Command;
  entries: Entry[];
  conflict: Conflict | null;
  member: number | null;
}

/** Everything the batch touches, as loaded (and locked) before deciding. */
export interface LedgerState {
  accounts: ReadonlyMap<string, Account>;
  writes: ReadonlyMap<string, RecordedWrite>;
  /** Recorded entries by write id. */
  entries: ReadonlyMap<string, Entry[]>;
  holds: ReadonlyMap<string, Hold>;
}

export interface Decision {
  entries: Entry[];
  writes: RecordedWrite[];
  conflicts: Conflict[];
  /** Accounts changed, by `accountKey`. */
  accounts: Map<string, Account>;
  /** Holds placed or changed, by id. */
  holds: Map<string, Hold>;
  /** One per command, in order. */
  outcomes: Outcome[];
}

export function decide(commands: Command[], state: LedgerState, limits: AssetLimits): Decision {
  const book = new Book((key) => state.accounts.get(key), limits);
  const writes = new Map(state.writes);
  const entries = new Map(state.entries);
  const holds = new Map(state.holds);
  const decision: Decision = {
    entries: [],
    writes: [],
    conflicts: [],
    accounts: book.changed,
    holds: new Map(),
    outcomes: [],
  };

  for (const command of commands) {
    if (command.type === 'EXPIRY') {
      decision.outcomes.push(expire(command, book, holds, entries, decision));
      continue;
    }
    const body = bodyOf(command);
    const written = writes.get(command.id);
    if (written) {
      const field = conflictingField(written.body, body);
      if (field) {
        const conflict = { id: command.id, userId: command.userId, field, body, requestedAtMs: command.requestedAtMs };
        decision.conflicts.push(conflict);
        decision.outcomes.push({ command, entries: [], conflict, member: null });
        continue;
      }
      // a hold's expiry is recorded under the hold's id later on: it is not what the HOLD answered. A grant's
      // entries are its users' each; so are a write's recorded before ids were global (its body knows no user)
      const perUser = command.grant || written.body.user === undefined;
      const earlier = (entries.get(command.id) ?? []).filter(
        (e) => e.type !== 'EXPIRY' && (!perUser || e.userId === command.userId),
      );
      if (earlier.length > 0) {
        decision.outcomes.push({ command, entries: earlier, conflict: null, member: written.member });
        continue;
      }
      // a grant's further member (or a legacy id's other user): the write is recorded, this user's part is not yet
    }
    const applied = apply(command, book, holds);
    for (const hold of holdsChangedBy(command, applied, holds)) decision.holds.set(hold.id, hold);
    entries.set(command.id, [...(entries.get(command.id) ?? []), ...applied.entries]);
    decision.entries.push(...applied.entries);
    if (!written) {
      const write: RecordedWrite = {
        id: command.id,
        body,
        status: applied.rejection ? 'REJECTED' : 'APPLIED',
        rejection: applied.rejection,
        member: applied.member,
        requestedAtMs: command.requestedAtMs,
      };
      writes.set(command.id, write);
      decision.writes.push(write);
    }
    decision.outcomes.push({ command, entries: applied.entries, conflict: null, member: applied.member });
  }
  return decision;
}

/**
 * A hold's expiry, as the ledger's expiry loop proposed it through the commands topic once the hold's time was
 * past: in the log, after whatever came before it, so a replay meets it where the live run did. A hold settled
 * meanwhile (captured, released, expired by an earlier proposal) ignores it; so does a hold not yet due.
 */
function expire(
  command: Command,
  book: Book,
  holds: Map<string, Hold>,
  entries: Map<string, Entry[]>,
  decision: Decision,
): Outcome {
  const hold = command.holdId ? holds.get(command.holdId) : undefined;
  if (!hold || hold.status !== 'PENDING' || command.requestedAtMs < hold.expiresAtMs)
    return { command, entries: [], conflict: null, member: null };
  const expired = expireHolds([hold], book);
  for (const settled of expired.holds) {
    holds.set(settled.id, settled);
    decision.holds.set(settled.id, settled);
  }
  entries.set(hold.id, [...(entries.get(hold.id) ?? []), ...expired.entries]);
  decision.entries.push(...expired.entries);
  return { command, entries: expired.entries, conflict: null, member: null };
}

/** The rule of the command's kind; holds are read and changed in `holds` (the batch's view of them). */
function apply(command: Command, book: Book, holds: Map<string, Hold>): Applied {
  switch (command.type) {
    case 'HOLD':
      return applyHold(command, book, holds);
    case 'CAPTURE':
      return applyCapture(command, book, holds);
    case 'RELEASE':
      return applyRelease(command, book, holds);
    default:
      return applyPostings(command, postingsOf(command), book);
  }
}

/** The holds the command placed or changed, as `holds` now has them. */
function holdsChangedBy(command: Command, applied: Applied, holds: Map<string, Hold>): Hold[] {
  if (applied.rejection) return [];
  const id = command.type === 'HOLD' ? command.id : command.holdId;
  const hold = id ? holds.get(id) : undefined;
  return hold && (command.type === 'HOLD' || command.type === 'CAPTURE' || command.type === 'RELEASE') ? [hold] : [];
}

/** The parts of a command that name what it does: compared field by field when its id comes again. */
export function bodyOf(command: Command): WriteBody {
  return {
    type: command.type,
    user: command.grant ? null : command.userId,
    asset: command.asset,
    amount: command.amountMinor.toString(),
    to: command.to,
    hold: command.holdId,
    timeout: command.timeoutMs === null ? null : String(command.timeoutMs),
    members:
      command.members.length === 0
        ? null
        : JSON.stringify(command.members, (_, v) => (typeof v === 'bigint' ? v.toString() : v)),
    reason: command.reason,
    grant_users: command.grant ? (command.grantDigest ?? '') : null,
  };
}

/** Commands the domain refuses outright (written by something other than the gateway): a reason, or undefined. */
export function refusal(command: Command, limits: AssetLimits): string | undefined {
  if (!command.userId) return 'a wallet command needs a userId';
  if (command.type === 'EXPIRY') return command.holdId ? undefined : "an expiry needs the hold's id";
  if (command.type === 'GROUP') {
    if (command.members.length === 0) return 'a group needs members';
    return command.members.map((m, i) => memberRefusal(m, limits, `member ${i}: `)).find(Boolean);
  }
  if (command.type === 'CAPTURE' || command.type === 'RELEASE') {
    if (!command.holdId) return `a ${command.type.toLowerCase()} needs the hold's id`;
    if (command.amountMinor < 0n) return 'an amount is never negative';
    if (command.asset && !limits(command.asset)) return `the ledger does not count asset ${command.asset}`;
    return undefined;
  }
  if (command.type === 'HOLD' && (command.timeoutMs === null || command.timeoutMs <= 0))
    return 'a hold needs a positive timeout';
  if (command.type === 'HOLD' && command.to === command.userId) return 'a hold cannot pay its own owner';
  return memberRefusal(
    {
      userId: command.userId,
      type: command.type === 'TRANSFER' ? 'TRANSFER' : 'CREDIT',
      asset: command.asset,
      amountMinor: command.amountMinor,
      to: command.to,
      reason: null,
    },
    limits,
    '',
  );
}

function memberRefusal(member: Member, limits: AssetLimits, prefix: string): string | undefined {
  const limit = member.asset ? limits(member.asset) : undefined;
  if (!member.userId) return `${prefix}a wallet command needs a userId`;
  if (!limit) return `${prefix}the ledger does not count asset "${member.asset}" (ASSETS)`;
  if (member.amountMinor <= 0n) return `${prefix}a wallet command needs a positive amount`;
  if (member.amountMinor > limit.maxBalanceMinor) return `${prefix}the amount is larger than any balance may be`;
  if (member.type === 'TRANSFER' && !member.to) return `${prefix}a transfer needs a receiver`;
  if (member.type === 'TRANSFER' && member.to === member.userId) return `${prefix}a transfer to oneself moves nothing`;
  return undefined;
}
