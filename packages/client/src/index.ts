/**
 * @tally/client: Tally's SDK for browsers and Node 20. `createTally` is the way in; the rest is for apps that
 * bring their own store, clock or transport, and for tests.
 */
import type { ClientOptions } from './client.js';
import { followPage } from './page.js';
import type { KeyValueStore } from './store.js';
import { browserStore } from './stores.js';
import { Tally } from './tally.js';

export interface TallyOptions extends Omit<ClientOptions, 'store'> {
  /** Where the source, the seq block and pending writes are kept: IndexedDB (else localStorage) in a browser; in Node, fileStore(path) from '@tally/client/node'. */
  store?: KeyValueStore;
}

/**
 * A Tally for this page or process: sends what an earlier one left, follows the page (pending writes leave in
 * keepalive requests when it is hidden or closed; the network coming back sends at once).
 */
export function createTally(options: TallyOptions): Tally {
  const tally = new Tally({ ...options, store: options.store ?? browserStore() });
  followPage(tally.client);
  void tally.start();
  return tally;
}

export {
  TallyClient,
  systemClock,
  type Acknowledged,
  type Attempt,
  type ClientOptions,
  type Clock,
  type WriteRequest,
} from './client.js';
export { TallyError, type ErrorDetail } from './errors.js';
export type { ErrorCode } from './generated/contract.js';
export { Outbox, OutboxFullError, type PendingWrite } from './outbox.js';
export { followPage, type PageEvents } from './page.js';
export { followTicket, type FollowOptions, type Ticket, type TicketView } from './queue.js';
export { DEFAULT_BACKOFF, isRetriable, nextDelay, retryAfterMs, type Backoff } from './retry.js';
export { SEQ_BLOCK, SeqAllocator, loadSource, newSource } from './seq.js';
export { memoryStore, type KeyValueStore } from './store.js';
export { indexedDbStore, type IdbFactory, type IdbKeyRangeStatic } from './indexeddb.js';
export { browserStore, webStorageStore, type WebStorage } from './stores.js';
export { Tally } from './tally.js';
export type { Answer, Outcome, Path, Query, Queued, RequestBody, WriteBody, paths } from './types.js';
export { Watch, type WatchOptions } from './watch.js';
export { writes } from './writes.js';
