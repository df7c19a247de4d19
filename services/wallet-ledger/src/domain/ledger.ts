/**
 * The rule of wallet-ledger: what a batch of commands does to balances. Pure; the use case (wallet-ledger.ts)
 * loads the balances and the already-recorded commands the batch touches through its port, calls `decide`, and
 * writes what it returns in the same transaction.
 *
 * - A command is named by (userId, source, seq): a grant gives every user its own command under the grant's
 *   (source, seq). A command already recorded (or earlier in the batch) changes nothing; its first outcome is
 *   the answer again, so a retrying client hears what happened the first time.
 * - A credit adds; a debit that would take the balance below zero is rejected (insufficient_funds) and recorded
 *   as rejected. Amounts and balances are integer minor units (bigint), never floats.
 */
export type CommandType = 'CREDIT' | 'DEBIT';
export type Status = 'APPLIED' | 'REJECTED';

export interface Command {
  userId: string;
  /** The command's write id, "<source>:<seq>" (formatWriteKey of @tally/contracts). */
  id: string;
  type: CommandType;
  asset: string;
  amountMinor: bigint;
  reason: string | null;
  grant: boolean;
  /** When the gateway accepted the command (epoch ms): the transaction's time, the same in a rebuild. */
  requestedAtMs: number;
}

export interface Entry extends Command {
  status: Status;
  rejection: RejectionReason | null;
  balanceAfterMinor: bigint;
}

export type RejectionReason = 'insufficient_funds' | 'balance_limit_exceeded';

/** Balances stay within what every consumer (JavaScript numbers, Avro longs) holds exactly. */
export const MAX_BALANCE_MINOR = BigInt(Number.MAX_SAFE_INTEGER);

export const commandKey = (userId: string, id: string) => `${userId}\u0000${id}`;
export const balanceKey = (userId: string, asset: string) => `${userId}\u0000${asset}`;
/** The user and the asset a `balanceKey` names. */
export const balanceOf = (key: string) => {
  const [userId, asset] = key.split('\u0000') as [string, string];
  return { userId, asset };
};

export interface Decision {
  /** Commands seen for the first time, in order: each becomes one ledger entry. */
  entries: Entry[];
  /** One per command of the batch, in order (a repeated command gets its first outcome). */
  outcomes: Entry[];
  /** New balances by `balanceKey`. */
  balances: Map<string, bigint>;
}

export function decide(
  commands: Command[],
  balancesBefore: ReadonlyMap<string, bigint>,
  recorded: ReadonlyMap<string, Entry>,
): Decision {
  const entries: Entry[] = [];
  const outcomes: Entry[] = [];
  const balances = new Map<string, bigint>();
  const seen = new Map<string, Entry>(recorded);
  for (const command of commands) {
    const key = commandKey(command.userId, command.id);
    const earlier = seen.get(key);
    if (earlier) {
      outcomes.push(earlier);
      continue;
    }
    const bKey = balanceKey(command.userId, command.asset);
    const before = balances.get(bKey) ?? balancesBefore.get(bKey) ?? 0n;
    const rejection = rejectionOf(command, before);
    const after = rejection
      ? before
      : command.type === 'CREDIT'
        ? before + command.amountMinor
        : before - command.amountMinor;
    const entry: Entry = {
      ...command,
      status: rejection ? 'REJECTED' : 'APPLIED',
      rejection,
      balanceAfterMinor: after,
    };
    if (!rejection) balances.set(bKey, after);
    seen.set(key, entry);
    entries.push(entry);
    outcomes.push(entry);
  }
  return { entries, outcomes, balances };
}

function rejectionOf(command: Command, balance: bigint): RejectionReason | null {
  if (command.type === 'DEBIT') return balance < command.amountMinor ? 'insufficient_funds' : null;
  return balance + command.amountMinor > MAX_BALANCE_MINOR ? 'balance_limit_exceeded' : null;
}

/** Commands the domain refuses outright (written by something other than the gateway): a reason, or undefined. */
export function refusal(command: Command): string | undefined {
  if (!command.userId || !command.asset) return 'a wallet command needs a userId and an asset';
  if (command.amountMinor <= 0n) return 'a wallet command needs a positive amount';
  if (command.amountMinor > MAX_BALANCE_MINOR) return 'the amount is larger than any balance may be';
  return undefined;
}
