/**
 * The words of the ledger's rules, shared by each kind of write (postings.ts, holds.ts) and by decide (ledger.ts):
 * commands, the entries they become, accounts and the book that moves them within a batch.
 */
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

/** The limits of an asset the ledger counts; undefined: it does not count it. */
export type AssetLimits = (asset: string) => { maxBalanceMinor: bigint } | undefined;

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
