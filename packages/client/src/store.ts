/**
 * Where the SDK keeps what must outlive a page or a process: the installation's source, the end of the seq block
 * in use, and each unacknowledged write under its own key. IndexedDB or localStorage in a browser, a file in
 * Node, or the app's own (React Native's AsyncStorage, a mobile keychain).
 *
 * Several pages of one origin (tabs) share one store, so the two operations that could race are the store's:
 * `add` is atomic across everything sharing the store (two tabs never reserve the same seq block), and each
 * write lives under its own key (a tab never overwrites what another tab queued).
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`. */
  keys(prefix: string): Promise<string[]>;
  /** Adds `by` to the integer kept at `key` (0 when absent) and answers the sum, atomically for all sharers. */
  add(key: string, by: number): Promise<number>;
}

/** For tests and short-lived processes (a load generator): nothing survives the process. */
export function memoryStore(): KeyValueStore & { readonly data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: async (key) => data.get(key),
    set: async (key, value) => void data.set(key, value),
    delete: async (key) => void data.delete(key),
    keys: async (prefix) => [...data.keys()].filter((key) => key.startsWith(prefix)),
    add: async (key, by) => {
      const sum = integerAt(data.get(key)) + by;
      data.set(key, String(sum));
      return sum;
    },
  };
}

/** A kept integer, or 0 for none or for anything unreadable (a store cleared or edited by hand). */
export function integerAt(text: string | null | undefined): number {
  const value = Number(text ?? 0);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}
