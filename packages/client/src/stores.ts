import type { KeyValueStore } from './seq.js';

/** For tests and short-lived processes: nothing survives the process. */
export function memoryStore(): KeyValueStore {
  const data = new Map<string, string>();
  return { get: async (key) => data.get(key), set: async (key, value) => void data.set(key, value) };
}

/** What the SDK needs of Web Storage (localStorage, sessionStorage, or a stand-in). */
export interface WebStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * A browser's localStorage (or any Web Storage): survives reloads and restarts of the browser, shared by the
 * tabs of one origin. Writes are synchronous in the page, so the seq block is on disk before a seq leaves.
 */
export function webStorageStore(
  storage: WebStorage | undefined = (globalThis as { localStorage?: WebStorage }).localStorage,
): KeyValueStore {
  if (!storage) throw new Error('no localStorage here: pass a store (fileStore in Node, or your own)');
  return {
    get: async (key) => storage.getItem(key) ?? undefined,
    set: async (key, value) => storage.setItem(key, value),
  };
}
