import type { WalletCommand } from './generated.js';

type Required = Pick<WalletCommand, 'source' | 'seq' | 'userId' | 'type' | 'asset' | 'amountMinor' | 'receivedAtMs'>;

/**
 * A WalletCommand from what it names: the fields a credit or debit
 * leaves empty (a transfer's `to`, a hold's id and timeout, a group's members, a grant's digest) at their empty
 * values, so a writer (the gateway, a bench, a test) spells only what its command is about.
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
