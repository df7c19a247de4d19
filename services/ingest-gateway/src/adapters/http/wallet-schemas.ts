import { listLimit } from '@tally/contracts';
import type { StringFormat } from '../../domain/string-formats.js';
import { ASSET_PATTERN, MAX_GRANT_USERS, REASON_MAX_LENGTH, REASON_PATTERN } from '../../domain/wallet.js';
import { acceptedResponse, id, strictObject, writeKeyFields } from './schemas.js';

/** JSON schemas of the wallet routes, built from the same parts as the heartbeat and counter ones. */

const format = (name: StringFormat) => ({ type: 'string', format: name }) as const;

/** 1000 user ids of up to 128 characters are about 130 KiB; twice that leaves room for any legal grant. */
export const GRANT_BODY_LIMIT = 256 * 1024;

export const walletParams = strictObject(['userId'], { userId: id('The user whose wallet it is') });

export const transactionParams = strictObject(['userId', 'id'], {
  userId: walletParams.properties.userId,
  id: { ...format('write-id'), description: 'The transaction, "<source>:<seq>", as its write was answered' },
});

const walletWriteFields = {
  ...writeKeyFields,
  asset: {
    type: 'string',
    pattern: ASSET_PATTERN.source,
    description: 'What is counted, e.g. points or KRW: a letter, then up to 31 of A-Z a-z 0-9 _',
  },
  amount: {
    ...format('decimal-amount'),
    description:
      'A positive decimal STRING with at most 13 digits before the point and 2 after, e.g. "12.34"; kept as integer minor units, never a float',
  },
  reason: {
    type: 'string',
    maxLength: REASON_MAX_LENGTH,
    pattern: REASON_PATTERN.source,
    description: 'A note for the history: 1-200 printable characters',
  },
} as const;

export const transactionBody = strictObject(['source', 'seq', 'type', 'asset', 'amount'], {
  ...walletWriteFields,
  type: {
    type: 'string',
    enum: ['credit', 'debit'],
    description: 'credit adds to the balance; debit takes from it, and is rejected if the balance would go below zero',
  },
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

/** `?wait=true` is the only query a write takes, and only a single transaction takes it (the others take `noQuery`). */
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

/** 200 with `?wait=true`, once the ledger has decided. */
export const transactionDecided = {
  type: 'object',
  required: ['id', 'status', 'balance'],
  properties: {
    id: transactionId,
    status: { type: 'string', enum: ['applied', 'rejected'] },
    balance: { type: 'string', description: 'The balance of the asset after it, e.g. "12.34"' },
    reason: { type: 'string', description: 'Why it was rejected: insufficient_funds' },
  },
} as const;

export const grantAccepted = {
  type: 'object',
  required: ['id', 'users'],
  properties: { id: transactionId, users: { type: 'integer', description: 'How many users are credited' } },
} as const;
