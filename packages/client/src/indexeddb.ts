/**
 * A browser's IndexedDB: one database with one object store of strings keyed by string. Overlapping readwrite
 * transactions on a store run one after another, across every tab of the origin, so `add` reads, adds and writes
 * in one transaction and is atomic without a lock. Writes resolve when their transaction completes (on disk).
 * The types below are the part of IndexedDB the store uses, so the SDK needs no DOM typings.
 */
import { integerAt, type KeyValueStore } from './store.js';

type Handler = ((event: never) => unknown) | null;
interface IdbRequest<T = unknown> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: Handler;
  onerror: Handler;
}
interface IdbObjectStore {
  get(key: string): IdbRequest;
  put(value: string, key: string): IdbRequest;
  delete(key: string): IdbRequest;
  getAllKeys(range: unknown): IdbRequest<unknown[]>;
}
interface IdbTransaction {
  objectStore(name: string): IdbObjectStore;
  readonly error: unknown;
  oncomplete: Handler;
  onabort: Handler;
}
interface IdbDatabase {
  createObjectStore(name: string): unknown;
  transaction(store: string, mode: 'readonly' | 'readwrite'): IdbTransaction;
  close(): void;
  onversionchange: Handler;
  onclose: Handler;
}
export interface IdbFactory {
  open(name: string, version: number): IdbRequest<IdbDatabase> & { onupgradeneeded: Handler };
}
export interface IdbKeyRangeStatic {
  bound(lower: string, upper: string): unknown;
}

const STORE = 'kv';
const g = globalThis as { indexedDB?: IdbFactory; IDBKeyRange?: IdbKeyRangeStatic };

export function indexedDbStore(
  name = 'tally',
  factory: IdbFactory | undefined = g.indexedDB,
  keyRange: IdbKeyRangeStatic | undefined = g.IDBKeyRange,
): KeyValueStore {
  if (!factory || !keyRange) throw new Error('no IndexedDB here');
  let db: Promise<IdbDatabase> | undefined;
  /** Opened on first use and kept; closed when another tab upgrades the database, and opened again after. */
  const open = () =>
    (db ??= new Promise((resolve, reject) => {
      const request = factory.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => {
        const opened = request.result;
        opened.onversionchange = opened.onclose = () => {
          opened.close();
          db = undefined;
        };
        resolve(opened);
      };
      request.onerror = () => {
        db = undefined;
        reject(request.error);
      };
    }));
  /** Runs `work` in one transaction; answers what it leaves once the transaction has completed. */
  const run = async <T>(mode: 'readonly' | 'readwrite', work: (store: IdbObjectStore) => () => T): Promise<T> => {
    const transaction = (await open()).transaction(STORE, mode);
    const result = work(transaction.objectStore(STORE));
    return new Promise((resolve, reject) => {
      transaction.oncomplete = () => resolve(result());
      // a failed request aborts its transaction; so does a failed commit (a full disk)
      transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
    });
  };
  const done = () => undefined;
  return {
    get: (key) =>
      run('readonly', (store) => {
        const request = store.get(key);
        return () => request.result as string | undefined;
      }),
    set: (key, value) => run('readwrite', (store) => (store.put(value, key), done)),
    delete: (key) => run('readwrite', (store) => (store.delete(key), done)),
    keys: (prefix) =>
      run('readonly', (store) => {
        const request = store.getAllKeys(keyRange.bound(prefix, prefix + '\uffff'));
        return () => request.result as string[];
      }),
    add: (key, by) =>
      run('readwrite', (store) => {
        let sum = 0;
        const request = store.get(key);
        request.onsuccess = () => store.put(String((sum = integerAt(request.result as string) + by)), key);
        return () => sum;
      }),
  };
}
