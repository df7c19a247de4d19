/**
 * The API keys the tests configure, unit and integration alike: two that may write heartbeats, one that may write
 * counters, one that may write wallets, one that may join and leave queues and one that may only configure them,
 * one that may vote and one that may only define polls; one that may read wallets and tickets, one that may read
 * only those of the acme tenant, and the operator's (the console, and wallets on it).
 */
export const keys = {
  writer: { key: 'test-writer-key-0123456789abcdef', name: 'test-writer', scopes: ['viewers:write'] },
  second: { key: 'test-second-key-0123456789abcdef', name: 'test-second', scopes: ['viewers:write', 'polls:write'] },
  counters: { key: 'test-counters-key-0123456789abcdef', name: 'test-counters', scopes: ['counters:write'] },
  wallets: { key: 'test-wallets-key-0123456789abcdef', name: 'test-wallets', scopes: ['wallets:write'] },
  queues: { key: 'test-queues-key-0123456789abcdef', name: 'test-queues', scopes: ['queues:write'] },
  queueAdmin: { key: 'test-queue-admin-key-0123456789abcdef', name: 'test-queue-admin', scopes: ['queues:admin'] },
  polls: { key: 'test-polls-key-0123456789abcdef', name: 'test-polls', scopes: ['polls:write'] },
  pollAdmin: { key: 'test-poll-admin-key-0123456789abcdef', name: 'test-poll-admin', scopes: ['polls:admin'] },
  reader: { key: 'test-reader-key-0123456789abcdef', name: 'test-reader', scopes: ['wallets:read', 'queues:read'] },
  operator: {
    key: 'test-operator-key-0123456789abcdef',
    name: 'test-operator',
    scopes: ['console:read', 'wallets:read'],
  },
  tenant: {
    key: 'test-tenant-key-0123456789abcdef',
    name: 'test-tenant',
    scopes: ['wallets:read', 'queues:read'],
    users: ['acme:*'],
    queues: ['acme-*'],
  },
};

export const bearer = (key: { key: string }) => ({ authorization: `Bearer ${key.key}` });
export const json = { 'content-type': 'application/json' };
