export { TallyClient, type Acknowledged, type ClientOptions, type Clock } from './client.js';
export { TallyError } from './errors.js';
export { Outbox, OutboxFullError, type PendingWrite } from './outbox.js';
export { DEFAULT_BACKOFF, isRetriable, nextDelay, retryAfterMs, type Backoff } from './retry.js';
export { SEQ_BLOCK, SeqAllocator, loadSource, newSource } from './seq.js';
export { memoryStore, type KeyValueStore } from './store.js';
export { webStorageStore, type WebStorage } from './stores.js';
