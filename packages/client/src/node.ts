/**
 * Node's store: one JSON file, written whole to a temporary file and renamed over the old one, so a crash leaves
 * either the old state or the new, never half of one. Changes made while a write is under way go out together in
 * the next one (a group commit), so a burst of writes costs a few file writes, not one each. One process per
 * file: `add` is atomic within the process only. `@tally/client/node`, apart from the browser entry.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { integerAt, type KeyValueStore } from './store.js';

export function fileStore(path: string): KeyValueStore {
  let cache: Promise<Map<string, string>> | undefined;
  let written = Promise.resolve();
  let next: Promise<void> | undefined;
  const load = () =>
    (cache ??= readFile(path, 'utf8').then(
      (text) => new Map(Object.entries(JSON.parse(text) as Record<string, string>)),
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return new Map<string, string>();
        throw error;
      },
    ));
  /** Resolves once a write that started after this call has landed: it holds every change made before it. */
  const persist = () =>
    (next ??= written
      // a failed write fails its callers; the next one tries again with everything
      .catch(() => undefined)
      .then(async () => {
        next = undefined;
        const data = await load();
        await mkdir(dirname(path), { recursive: true });
        await writeFile(`${path}.tmp`, JSON.stringify(Object.fromEntries(data)));
        await rename(`${path}.tmp`, path);
      }));
  const change = async (apply: (data: Map<string, string>) => void) => {
    apply(await load());
    written = persist();
    await written;
  };
  return {
    get: async (key) => (await load()).get(key),
    set: (key, value) => change((data) => data.set(key, value)),
    delete: (key) => change((data) => data.delete(key)),
    keys: async (prefix) => [...(await load()).keys()].filter((key) => key.startsWith(prefix)),
    add: async (key, by) => {
      let sum = 0;
      await change((data) => {
        sum = integerAt(data.get(key)) + by;
        data.set(key, String(sum));
      });
      return sum;
    },
  };
}
