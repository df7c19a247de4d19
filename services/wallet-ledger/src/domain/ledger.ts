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

export type CommandType = 'CREDIT' | 'DEBIT' | 'TRANSFER' | 'GROUP' | 'HOLD' | 'CAPTURE' | 'RELEASE' | 'EXPIRY';
export type Status = 'APPLIED' | 'REJECTED';

export type RejectionReason =
  | 'insufficient_funds'
  | 'balance_limit_exceeded'
  | 'hold_not_found'
  | 'hold_not_pending'
  | 'hold_expired'
  | 'capture_exceeds_hold'
  | 'hold_asset_mismatch';

/** One member of a linked group: a credit or debit of one user, or a transfer from `userId` to `to`. */
export interface Member {
  userId: string;
  type: 'CREDIT' | 'DEBIT' | 'TRANSFER';
  asset: string;
  amountMinor: bigint;
  to: string | null;
  reason: string | null;
}

export interface Command {
  /** The write id, "<source>:<seq>" (formatWriteKey of @tally/contracts). */
  id: string;
  /** The user the command is keyed by: credited or debited, a transfer's sender, a hold's owner, a group's first. */
  userId: string;
  type: CommandType;
  /** Empty for GROUP, RELEASE, and a CAPTURE of the whole hold. */
  asset: string;
  /** Positive; 0 for GROUP and RELEASE, and for a CAPTURE of the whole hold. */
  amountMinor: bigint;
  reason: string | null;
  grant: boolean;
  /** A grant: the digest of its users, the part of its body no single command shows. */
  grantDigest: string | null;
  /** When the gateway accepted the command (epoch ms): the transaction's time, the same in a rebuild. */
  requestedAtMs: number;
  to: string | null;
  holdId: string | null;
  timeoutMs: number | null;
  members: Member[];
}

/** One user's side of a write: what it did to one account. */
export interface Entry {
  userId: string;
  id: string;
  /** Which side of the write: 0 for the key user; a transfer's receiver 1; a group's member index. */
  leg: number;
  type: CommandType;
  asset: string;
  amountMinor: bigint;
  status: Status;
  rejection: RejectionReason | null;
  balanceDeltaMinor: bigint;
  heldDeltaMinor: bigint;
  balanceAfterMinor: bigint;
  heldAfterMinor: bigint;
  /** A transfer's other side; a capture's payee (on the owner's entry) or owner (on the payee's). */
  counterparty: string | null;
  holdId: string | null;
  reason: string | null;
  grant: boolean;
  requestedAtMs: number;
}

export interface Account {
  balanceMinor: bigint;
  heldMinor: bigint;
}

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

/** The limits of an asset the ledger counts; undefined: it does not count it. */
export type AssetLimits = (asset: string) => { maxBalanceMinor: bigint } | undefined;

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

export const accountKey = (userId: string, asset: string) => `${userId}\u0000${asset}`;
/** The user and the asset an `accountKey` names. */
export const accountOf = (key: string) => {
  const [userId, asset] = key.split('\u0000') as [string, string];
  return { userId, asset };
};
const ZERO: Account = { balanceMinor: 0n, heldMinor: 0n };

/**
 * The accounts of the batch as they change: reads fall through to the loaded state; `attempt` applies a write's
 * changes together or not at all (a linked group's members, a transfer's two sides).
 */
export class Book {
  readonly changed = new Map<string, Account>();
  constructor(
    private readonly below: (key: string) => Account | undefined,
    readonly limits: AssetLimits,
  ) {}

  get(userId: string, asset: string): Account {
    const key = accountKey(userId, asset);
    return this.changed.get(key) ?? this.below(key) ?? ZERO;
  }

  set(userId: string, asset: string, account: Account): void {
    this.changed.set(accountKey(userId, asset), account);
  }

  available(userId: string, asset: string): bigint {
    const { balanceMinor, heldMinor } = this.get(userId, asset);
    return balanceMinor - heldMinor;
  }

  maxBalance(asset: string): bigint {
    return this.limits(asset)?.maxBalanceMinor ?? 0n;
  }

  /** Runs `work` on a scratch layer over this book; keeps its changes only when it returns no rejection. */
  attempt<T extends { rejection: unknown }>(work: (scratch: Book) => T): T {
    const scratch = new Book((key) => this.changed.get(key) ?? this.below(key), this.limits);
    const result = work(scratch);
    if (!result.rejection) for (const [key, account] of scratch.changed) this.changed.set(key, account);
    return result;
  }
}

/** What the rule of one kind of write made of it: its entries, and a rejection when it changed nothing. */
export interface Applied {
  entries: Entry[];
  rejection: RejectionReason | null;
  member: number | null;
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
