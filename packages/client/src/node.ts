/**
 * Node's store: one JSON file, written whole to a temporary file and renamed over the old one, so a crash leaves
 * either the old state or the new, never half of one. `@tally/client/node`, apart from the browser entry.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { KeyValueStore } from './seq.js';

export function fileStore(path: string): KeyValueStore {
  let cache: Promise<Record<string, string>> | undefined;
  let writing = Promise.resolve();
  const load = () =>
    (cache ??= readFile(path, 'utf8').then(
      (text) => JSON.parse(text) as Record<string, string>,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return {} as Record<string, string>;
        throw error;
      },
    ));
  return {
    get: async (key) => (await load())[key],
    set: async (key, value) => {
      const data = await load();
      data[key] = value;
      // one write at a time, each of the whole state: the last one wins and is complete
      writing = writing.then(async () => {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(`${path}.tmp`, JSON.stringify(data));
        await rename(`${path}.tmp`, path);
      });
      await writing;
    },
  };
}
