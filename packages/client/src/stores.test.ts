import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileStore } from './node.js';
import { SeqAllocator } from './seq.js';
import { webStorageStore } from './stores.js';

describe('stores', () => {
  it('keeps the seq block in a file across processes (a new store on the same file)', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tally-client-')), 'state.json');
    const first = await new SeqAllocator(fileStore(path), 5).allocate();
    const second = await new SeqAllocator(fileStore(path), 5).allocate();
    expect(second).toBeGreaterThan(first);
  });

  it('keeps the seq block in Web Storage across pages', async () => {
    const items = new Map<string, string>();
    const storage = {
      get length() {
        return items.size;
      },
      key: (index: number) => [...items.keys()][index] ?? null,
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    };
    const first = await new SeqAllocator(webStorageStore(storage), 5).allocate();
    const second = await new SeqAllocator(webStorageStore(storage), 5).allocate();
    expect(second).toBeGreaterThan(first);
  });
});
