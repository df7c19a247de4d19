import { createHash } from 'node:crypto';
import { formatWriteKey } from '@tally/contracts';
import { walletCommand, type WalletCommand, type WalletCommandType, type WalletGroupMember } from '@tally/schemas';
import { parseAmount, type AssetCatalogue } from '@tally/money';

/** An asset (a currency, points, gems): a short identifier, so it reads well as a JSON key of `balances`. */
export { ASSET_PATTERN } from '@tally/money';

/** A note for the history; printable, so it cannot forge lines in a log or a statement. */
export const REASON_MAX_LENGTH = 200;
export const REASON_PATTERN = /^[^\p{Cc}\p{Zl}\p{Zp}]+$/u;

/** One grant credits at most this many users (seed 004: 500 chat members at once). */
export const MAX_GRANT_USERS = 1000;

/** One linked group holds at most this many members: enough for a checkout, small enough to lock in one go. */
export const MAX_GROUP_MEMBERS = 100;

/** A hold releases itself after at most a week: longer, and the funds it keeps are better debited outright. */
export const MAX_HOLD_SECONDS = 604_800;

export type TransactionType = 'credit' | 'debit';

/** What every wallet write carries: who sent it, under which seq, and an optional note. */
interface WalletWrite {
  source: string;
  seq: number;
  reason?: string;
}

/** How much of which asset: the amount a decimal string, read at the asset's scale (wallet-amounts.ts). */
export interface Amounted {
  asset: string;
  amount: string;
}

/** The JSON body of `POST /v1/wallets/{userId}/transactions`, once validated. */
export interface TransactionRequest extends WalletWrite, Amounted {
  type: TransactionType;
}

/** One item of `POST /v1/wallets/transactions/batch`: a transaction that names its user. */
export interface BatchTransactionItem extends TransactionRequest {
  userId: string;
}

/** The JSON body of `POST /v1/wallets/grants`, once validated (user ids unique). */
export interface GrantRequest extends WalletWrite, Amounted {
  userIds: string[];
}

/** The JSON body of `POST /v1/transfers`, once validated. */
export interface TransferRequest extends WalletWrite, Amounted {
  from: string;
  to: string;
}

/** One member of a linked group: a credit or debit of one user, or a transfer between two. */
export type GroupMemberRequest = Amounted & { reason?: string } & (
    { type: TransactionType; userId: string } | { type: 'transfer'; from: string; to: string }
  );

/** The JSON body of `POST /v1/wallets/groups`, once validated (1-100 members). */
export interface GroupRequest extends WalletWrite {
  members: GroupMemberRequest[];
}

/** The JSON body of `POST /v1/wallets/{userId}/holds`, once validated. */
export interface HoldRequest extends WalletWrite, Amounted {
  timeoutSeconds: number;
  /** Who is paid what is captured; without, a capture only debits. */
  to?: string;
}

/** The JSON body of `POST .../holds/{holdId}/capture`: no amount captures all of the hold. */
export interface CaptureRequest extends WalletWrite {
  asset?: string;
  amount?: string;
}

/** The JSON body of `POST .../holds/{holdId}/release`. */
export type ReleaseRequest = WalletWrite;

const commandTypes: Record<GroupMemberRequest['type'], WalletCommandType> = {
  credit: 'CREDIT',
  debit: 'DEBIT',
  transfer: 'TRANSFER',
};

/**
 * An amount as the command carries it: minor units at the asset's scale. The route checked it first
 * (walletAmountProblems); reading it again here throws rather than ever producing a wrong amount.
 */
function minorOf(assets: AssetCatalogue, { asset, amount }: Amounted): number {
  const rule = assets.rule(asset);
  if (!rule) throw new RangeError(`unknown asset ${asset}: the route must refuse it before building a command`);
  return parseAmount(amount, rule.scale, rule.maxAmountMinor);
}

/** A command with every optional field empty: each kind of write fills in its own. */
function command(
  write: WalletWrite,
  userId: string,
  type: WalletCommandType,
  receivedAtMs: number,
  fields: Partial<WalletCommand>,
): WalletCommand {
  return walletCommand({
    source: write.source,
    seq: write.seq,
    userId,
    type,
    asset: '',
    amountMinor: 0,
    reason: write.reason ?? null,
    receivedAtMs,
    ...fields,
  });
}

/** One credit or debit of one user's balance. */
export function toTransactionCommand(
  userId: string,
  request: TransactionRequest,
  assets: AssetCatalogue,
  receivedAtMs: number,
): WalletCommand {
  return command(request, userId, commandTypes[request.type], receivedAtMs, {
    asset: request.asset,
    amountMinor: minorOf(assets, request),
  });
}

/**
 * What names a grant's users whatever their order: the hex SHA-256 of its user ids, sorted, one per line. The
 * ledger compares it, so a grant id reused for other users is a conflict it can name (id_reused_with_different_grant_users).
 */
export function grantDigest(userIds: readonly string[]): string {
  return createHash('sha256')
    .update([...userIds].sort().join('\n'), 'utf8')
    .digest('hex');
}

/**
 * One credit per user, all named by the grant's (source, seq): the ledger tells them apart by user, so no two
 * members' credits can ever be taken for one (seed 004 lost history rows to a timestamp-and-user message id).
 */
export function toGrantCommands(request: GrantRequest, assets: AssetCatalogue, receivedAtMs: number): WalletCommand[] {
  const fields = {
    asset: request.asset,
    amountMinor: minorOf(assets, request),
    grant: true,
    grantDigest: grantDigest(request.userIds),
  };
  return request.userIds.map((userId) => command(request, userId, 'CREDIT', receivedAtMs, fields));
}

/** One transfer, keyed by its sender: the ledger takes from `from` and gives to `to` in one transaction. */
export function toTransferCommand(
  request: TransferRequest,
  assets: AssetCatalogue,
  receivedAtMs: number,
): WalletCommand {
  return command(request, request.from, 'TRANSFER', receivedAtMs, {
    asset: request.asset,
    amountMinor: minorOf(assets, request),
    to: request.to,
  });
}

/** The user a member is about: a credit's or debit's user, a transfer's sender. */
export const memberUser = (member: GroupMemberRequest): string =>
  member.type === 'transfer' ? member.from : member.userId;

/** Every user a group names, each once, in the order they first appear (for the key's check). */
export function groupUsers(request: GroupRequest): string[] {
  const named = request.members.flatMap((m) => (m.type === 'transfer' ? [m.from, m.to] : [m.userId]));
  return [...new Set(named)];
}

function toGroupMember(member: GroupMemberRequest, assets: AssetCatalogue): WalletGroupMember {
  return {
    userId: memberUser(member),
    type: commandTypes[member.type],
    asset: member.asset,
    amountMinor: minorOf(assets, member),
    to: member.type === 'transfer' ? member.to : null,
    reason: member.reason ?? null,
  };
}

/**
 * A linked group as one command, so the ledger applies all its members or none. It is keyed by the first
 * member's user: that user's outcome is the one `?wait=true` hears.
 */
export function toGroupCommand(request: GroupRequest, assets: AssetCatalogue, receivedAtMs: number): WalletCommand {
  const first = request.members[0];
  if (!first) throw new RangeError('a group has at least one member: the route must refuse an empty one');
  return command(request, memberUser(first), 'GROUP', receivedAtMs, {
    members: request.members.map((member) => toGroupMember(member, assets)),
  });
}

/** A hold of `userId`'s funds, which releases itself timeoutSeconds after its receipt unless captured or released. */
export function toHoldCommand(
  userId: string,
  request: HoldRequest,
  assets: AssetCatalogue,
  receivedAtMs: number,
): WalletCommand {
  return command(request, userId, 'HOLD', receivedAtMs, {
    asset: request.asset,
    amountMinor: minorOf(assets, request),
    timeoutMs: request.timeoutSeconds * 1000,
    to: request.to ?? null,
  });
}

/**
 * A capture of a hold: its amount at the asset's scale, or 0 meaning all of it. The asset, when sent, must be the
 * hold's (the ledger checks: hold_asset_mismatch); without an amount it may be left out, "" on the command.
 */
export function toCaptureCommand(
  userId: string,
  holdId: string,
  request: CaptureRequest,
  assets: AssetCatalogue,
  receivedAtMs: number,
): WalletCommand {
  const { asset = '', amount } = request;
  return command(request, userId, 'CAPTURE', receivedAtMs, {
    asset,
    amountMinor: amount === undefined ? 0 : minorOf(assets, { asset, amount }),
    holdId,
  });
}

/** A release of a hold: what it keeps becomes available again. */
export function toReleaseCommand(
  userId: string,
  holdId: string,
  request: ReleaseRequest,
  receivedAtMs: number,
): WalletCommand {
  return command(request, userId, 'RELEASE', receivedAtMs, { holdId });
}

/** The id a wallet write is answered with; a grant's users all share it, and a hold is named by it. */
export const walletWriteId = (request: Pick<WalletWrite, 'source' | 'seq'>): string => formatWriteKey(request);
