import { indexedDbStore } from './indexeddb.js';
import { integerAt, type KeyValueStore } from './store.js';

/** Outside a browser (Node), there is no default. */
const NO_STORE = 'no browser storage here: pass a store (fileStore in Node)';

/** What the SDK needs of Web Storage (localStorage, sessionStorage, or a stand-in). */
export interface WebStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

interface LockManager {
  request<T>(name: string, run: () => Promise<T>): Promise<T>;
}

/**
 * A browser's localStorage (or any Web Storage): survives reloads and restarts of the browser, shared by the
 * tabs of one origin. Its writes are synchronous, so a seq block is on disk before a seq leaves. Reading and
 * writing are two steps, so `add` holds the origin's Web Lock (every current browser has them) for the two;
 * without Web Locks, two tabs reserving at the same instant could share a block: prefer IndexedDB there.
 */
export function webStorageStore(
  storage: WebStorage | undefined = (globalThis as { localStorage?: WebStorage }).localStorage,
  locks: LockManager | undefined = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks,
): KeyValueStore {
  if (!storage) throw new Error(NO_STORE);
  const add = async (key: string, by: number) => {
    const sum = integerAt(storage.getItem(key)) + by;
    storage.setItem(key, String(sum));
    return sum;
  };
  return {
    get: async (key) => storage.getItem(key) ?? undefined,
    set: async (key, value) => storage.setItem(key, value),
    delete: async (key) => storage.removeItem(key),
    keys: async (prefix) => {
      const keys: string[] = [];
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i);
        if (key?.startsWith(prefix)) keys.push(key);
      }
      return keys;
    },
    add: (key, by) => (locks ? locks.request(`tally:${key}`, () => add(key, by)) : add(key, by)),
  };
}

/**
 * The browser's best store: IndexedDB (atomic `add` across tabs, writes on disk before they resolve), else
 * localStorage; neither (Node, a worker without storage, storage blocked by the user) is an error.
 */
export function browserStore(name?: string): KeyValueStore {
  const scope = globalThis as { indexedDB?: unknown; localStorage?: WebStorage };
  if (scope.indexedDB) return indexedDbStore(name);
  let storage: WebStorage | undefined;
  try {
    // reading localStorage throws where the user blocked site data
    storage = scope.localStorage;
  } catch {
    // neither then
  }
  if (!storage) throw new Error(NO_STORE);
  return webStorageStore(storage);
}
