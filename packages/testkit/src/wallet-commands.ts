import type { WalletCommand } from '@tally/schemas';

type Required = Pick<WalletCommand, 'source' | 'seq' | 'userId' | 'type' | 'asset' | 'amountMinor' | 'receivedAtMs'>;

/**
 * A WalletCommand as a test writes it straight to the topic: what it names, and the fields a credit or debit
 * leaves empty (a transfer's `to`, a hold's id and timeout, a group's members, a grant's digest) at their empty
 * values, so a test spells only what it is about.
 */
export const walletCommand = (fields: Required & Partial<WalletCommand>): WalletCommand => ({
  reason: null,
  grant: false,
  to: null,
  holdId: null,
  timeoutMs: null,
  members: [],
  grantDigest: null,
  ...fields,
});
