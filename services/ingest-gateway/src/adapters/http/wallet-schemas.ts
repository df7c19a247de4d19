import { listLimit } from '@tally/contracts';
import type { StringFormat } from '../../domain/string-formats.js';
import {
  ASSET_PATTERN,
  MAX_GRANT_USERS,
  MAX_GROUP_MEMBERS,
  MAX_HOLD_SECONDS,
  REASON_MAX_LENGTH,
  REASON_PATTERN,
} from '../../domain/wallet.js';
import { acceptedResponse, errorResponse, id, strictObject, writeErrors, writeKeyFields } from './schemas.js';

/** JSON schemas of the wallet routes, built from the same parts as the heartbeat and counter ones. */

const format = (name: StringFormat) => ({ type: 'string', format: name }) as const;

/** 1000 user ids of up to 128 characters are about 130 KiB; twice that leaves room for any legal grant. */
export const GRANT_BODY_LIMIT = 256 * 1024;
/** 100 members of two ids, an asset, an amount and a 200-character note are about 70 KiB at most. */
export const GROUP_BODY_LIMIT = 128 * 1024;

export const walletParams = strictObject(['userId'], { userId: id('The user whose wallet it is') });

export const transactionParams = strictObject(['userId', 'id'], {
  userId: walletParams.properties.userId,
  id: { ...format('write-id'), description: 'The transaction, "<source>:<seq>", as its write was answered' },
});

export const holdParams = strictObject(['userId', 'holdId'], {
  userId: { ...walletParams.properties.userId, description: 'The user whose funds the hold keeps' },
  holdId: { ...format('write-id'), description: 'The hold: "<source>:<seq>" of the write that placed it' },
});

const asset = {
  type: 'string',
  pattern: ASSET_PATTERN.source,
  description:
    'What is counted, e.g. points or KRW: one of the ledger’s ASSETS (a letter, then up to 31 of A-Z a-z 0-9 _); any other is 400',
} as const;

const amount = {
  ...format('decimal-amount'),
  description:
    'A positive decimal STRING, e.g. "12.34", with at most as many digits after the point as its asset’s scale (ASSETS; 2 by default) ' +
    'and at most its maxAmount; kept as integer minor units, never a float',
} as const;

const reason = {
  type: 'string',
  maxLength: REASON_MAX_LENGTH,
  pattern: REASON_PATTERN.source,
  description: 'A note for the history: 1-200 printable characters',
} as const;

const walletWriteFields = { ...writeKeyFields, asset, amount, reason } as const;

const transactionType = {
  type: 'string',
  enum: ['credit', 'debit'],
  description:
    'credit adds to the balance; debit takes from it, and is rejected if the available balance would go below zero',
} as const;

export const transactionBody = strictObject(['source', 'seq', 'type', 'asset', 'amount'], {
  ...walletWriteFields,
  type: transactionType,
});

/** One item of `POST /v1/wallets/transactions/batch`: the single route's body and the user its path names. */
export const transactionBatchItem = strictObject(['userId', ...transactionBody.required], {
  userId: walletParams.properties.userId,
  ...transactionBody.properties,
});

export const grantBody = strictObject(['source', 'seq', 'asset', 'amount', 'userIds'], {
  ...walletWriteFields,
  userIds: {
    type: 'array',
    minItems: 1,
    maxItems: MAX_GRANT_USERS,
    uniqueItems: true,
    items: id('A user to credit'),
    description:
      "Who is credited, 1-1000 different users; each gets one credit named by the grant's (source, seq) and the user",
  },
});

const transferSides = {
  from: id('Who pays: the transfer is rejected (insufficient_funds) if their available balance is short'),
  to: id('Who receives; must differ from `from`'),
} as const;

export const transferBody = strictObject(['source', 'seq', 'from', 'to', 'asset', 'amount'], {
  ...writeKeyFields,
  ...transferSides,
  asset,
  amount,
  reason,
});

const creditOrDebitMember = strictObject(['type', 'userId', 'asset', 'amount'], {
  type: transactionType,
  userId: id('The user credited or debited'),
  asset,
  amount,
  reason,
});

const transferMember = strictObject(['type', 'from', 'to', 'asset', 'amount'], {
  type: { type: 'string', enum: ['transfer'], description: 'A transfer from one user to another' },
  ...transferSides,
  asset,
  amount,
  reason,
});

export const groupBody = strictObject(['source', 'seq', 'members'], {
  ...writeKeyFields,
  members: {
    type: 'array',
    minItems: 1,
    maxItems: MAX_GROUP_MEMBERS,
    description:
      'The writes of the group, 1-100, applied in order and all or none: one member rejected rejects them all (the answer names it: `member`)',
    items: {
      type: 'object',
      // one member is judged by the shape its type names, so a bad member is told what is wrong with it alone
      discriminator: { propertyName: 'type' },
      required: ['type'],
      properties: {
        type: { type: 'string', enum: ['credit', 'debit', 'transfer'], description: 'What the member does' },
      },
      oneOf: [creditOrDebitMember, transferMember],
    },
  },
  reason,
});

export const holdBody = strictObject(['source', 'seq', 'asset', 'amount', 'timeoutSeconds'], {
  ...walletWriteFields,
  timeoutSeconds: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_HOLD_SECONDS,
    description:
      'The hold releases itself this long after it was received unless captured or released first: 1 s to 7 days',
  },
  to: id('Who is paid what is captured; without, a capture only debits. Must differ from the user'),
});

export const captureBody = strictObject(['source', 'seq'], {
  ...writeKeyFields,
  asset: { ...asset, description: 'The hold’s asset: required with `amount`, whose scale it gives' },
  amount: {
    ...amount,
    description: `${amount.description}. Without it, all of the hold is captured; the rest of a partial capture is released`,
  },
  reason,
});

export const releaseBody = strictObject(['source', 'seq'], { ...writeKeyFields, reason });

/** `?wait=true` is the only query a write takes, and only the wallet writes of one command take it (a grant takes `noQuery`). */
export const transactionQuery = strictObject([], {
  wait: {
    type: 'boolean',
    default: false,
    description: 'Wait for the ledger to apply or reject it, until the write deadline (WRITE_DEADLINE_MS)',
  },
});

export const transactionHistoryQuery = strictObject([], {
  limit: listLimit(20, 'How many transactions, newest first'),
});

const transactionId = acceptedResponse.properties.id;

/** 202 without `?wait=true`, or when the ledger has not decided within the wait. */
export const transactionAccepted = {
  type: 'object',
  required: ['id'],
  properties: {
    id: transactionId,
    status: { type: 'string', enum: ['pending'], description: 'With ?wait=true: not decided yet; read it later' },
  },
} as const;

const decimal = (description: string) => ({ type: 'string', description }) as const;

/** 200 with `?wait=true`, once the ledger has decided: the key user's figures of the asset after it. */
export const transactionDecided = {
  type: 'object',
  required: ['id', 'status', 'balance', 'available', 'held'],
  properties: {
    id: transactionId,
    status: { type: 'string', enum: ['applied', 'rejected'] },
    balance: decimal('The balance of the asset after it, e.g. "12.34" (a transfer’s sender, a group’s first member)'),
    available: decimal('What of the balance no pending hold keeps: balance - held'),
    held: decimal('What pending holds keep of the asset'),
    reason: {
      type: 'string',
      description:
        'Why it was rejected: insufficient_funds, balance_limit_exceeded, hold_not_found, hold_not_pending, hold_expired, capture_exceeds_hold, hold_asset_mismatch',
    },
    member: { type: 'integer', description: 'A rejected group: the index of the member that failed' },
  },
} as const;

/** 409 with `?wait=true`: the (source, seq) was already used for another write, which stands. */
export const idReusedResponse = {
  ...errorResponse,
  description: 'id_reused',
  required: [...errorResponse.required, 'id', 'status', 'reason'],
  properties: {
    ...errorResponse.properties,
    id: transactionId,
    status: { type: 'string', enum: ['rejected'] },
    reason: { type: 'string', description: 'id_reused_with_different_<field>, e.g. id_reused_with_different_amount' },
  },
} as const;

/** What a write that takes `?wait=true` may answer: accepted, decided, or its id already used for another write. */
export const waitedWriteResponses = {
  200: transactionDecided,
  202: transactionAccepted,
  409: idReusedResponse,
  ...writeErrors,
} as const;

export const WAIT_DESCRIPTION =
  'Answers 202 {id} once Kafka acknowledged the command. With ?wait=true it also waits for the outcome, by the same deadline (WRITE_DEADLINE_MS): ' +
  '200 {id, status: applied|rejected, balance, available, held, reason?, member?}, 409 id_reused when this (source, seq) was already used for a different write (the first stands), ' +
  'or 202 {id, status: pending} when the ledger has not decided in time.';

export const grantAccepted = {
  type: 'object',
  required: ['id', 'users'],
  properties: { id: transactionId, users: { type: 'integer', description: 'How many users are credited' } },
} as const;

/** The owner's answers pass through as they are; these document them, and let any field the ledger adds through. */
const open = <P extends object>(required: readonly string[], properties: P) =>
  ({ type: 'object', additionalProperties: true, required, properties }) as const;

const byAsset = (description: string) =>
  ({ type: 'object', additionalProperties: { type: 'string' }, description }) as const;

export const walletAnswer = open(['userId', 'balances', 'asOf'], {
  userId: { type: 'string' },
  balances: byAsset('asset → balance, e.g. {"KRW": "12.34"}'),
  available: byAsset('asset → what no pending hold keeps'),
  held: byAsset('asset → what pending holds keep'),
  asOf: { type: 'integer', description: 'epoch ms' },
});

const ENTRY_TYPES = ['credit', 'debit', 'transfer', 'group', 'hold', 'capture', 'release', 'expiry'];

const transactionFields = {
  id: transactionId,
  type: { type: 'string', enum: ENTRY_TYPES },
  asset: { type: 'string' },
  amount: { type: 'string' },
  status: { type: 'string', enum: ['applied', 'rejected'] },
  reason: { type: 'string', description: 'Why it was rejected' },
  note: { type: 'string', description: 'The reason the write was sent with' },
  grant: { type: 'boolean' },
  to: { type: 'string', description: 'A transfer’s (or a paid capture’s) other side' },
  holdId: { type: 'string' },
  member: { type: 'integer', description: 'In a group: this entry’s member, or the one that failed' },
  leg: { type: 'string', description: 'Which side of a transfer or group this entry is' },
  balanceAfter: { type: 'string' },
  heldAfter: { type: 'string' },
  availableAfter: { type: 'string' },
  conflicts: {
    type: 'array',
    description: 'Later writes that reused this id with another body: each refused (409), this one stands',
    items: open([], { reason: { type: 'string' }, field: { type: 'string' }, at: { type: 'integer' } }),
  },
  at: { type: 'integer', description: 'epoch ms' },
} as const;

export const transactionAnswer = open(['id', 'status'], { userId: { type: 'string' }, ...transactionFields });

export const historyAnswer = open(['userId', 'transactions'], {
  userId: { type: 'string' },
  transactions: { type: 'array', items: open(['id', 'status'], transactionFields) },
});

export const holdAnswer = open(['userId', 'id', 'asset', 'amount', 'status', 'expiresAt', 'at'], {
  userId: { type: 'string' },
  id: { type: 'string', description: 'The hold: "<source>:<seq>" of the write that placed it' },
  asset: { type: 'string' },
  amount: { type: 'string', description: 'What it keeps (or kept)' },
  captured: { type: 'string', description: 'What was captured of it' },
  status: { type: 'string', enum: ['pending', 'captured', 'released', 'expired'] },
  to: { type: 'string', description: 'Who is paid what is captured' },
  expiresAt: { type: 'integer', description: 'epoch ms: it releases itself then unless captured or released before' },
  at: { type: 'integer', description: 'epoch ms: when it was placed' },
  reason: { type: 'string', description: 'The note the hold was placed with' },
});
