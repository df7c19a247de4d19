/**
 * What an API key may do: one scope per kind of write, an admin scope to configure (docs/API.md), a
 * read scope per kind of private data (a wallet and its history; a ticket with its admission token), and the
 * operator's scope for the live console. Public aggregates (viewer counts, counts and rankings, poll results,
 * a queue's public figures) need no key.
 */
export const SCOPES = [
  'viewers:write',
  'counters:write',
  'wallets:write',
  'wallets:read',
  'queues:write',
  'queues:read',
  'queues:admin',
  'polls:write',
  'polls:admin',
  'console:read',
] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * The key a gateway takes, with every scope, when API_KEYS is unset outside production: printed at start on a
 * local stack, so a developer (or a local tool) can call the API without configuring anything.
 */
export const DEV_API_KEY = 'tally-dev-key';
