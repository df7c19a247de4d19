import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { indexedDbStore } from './indexeddb.js';
import { SeqAllocator } from './seq.js';
import { browserStore } from './stores.js';

/** A store on a fresh browser profile's IndexedDB; more stores on the same `factory` are other tabs. */
const store = (factory: InstanceType<typeof IDBFactory>, name?: string) => indexedDbStore(name, factory, IDBKeyRange);

describe('indexedDbStore', () => {
  it('gets, sets, deletes and lists keys by prefix', async () => {
    const kv = store(new IDBFactory());
    expect(await kv.get('a')).toBeUndefined();
    await kv.set('tally.outbox.1', 'one');
    await kv.set('tally.outbox.2', 'two');
    await kv.set('tally.outboxed', 'not under the prefix');
    await kv.set('tally.source', 'web:x');
    expect(await kv.get('tally.outbox.1')).toBe('one');
    expect(await kv.keys('tally.outbox.')).toEqual(['tally.outbox.1', 'tally.outbox.2']);
    await kv.delete('tally.outbox.1');
    expect(await kv.get('tally.outbox.1')).toBeUndefined();
    expect(await kv.keys('tally.outbox.')).toEqual(['tally.outbox.2']);
    expect(await kv.keys('')).toHaveLength(3);
  });

  it('adds from nothing, and answers the sum', async () => {
    const kv = store(new IDBFactory());
    expect(await kv.add('n', 5)).toBe(5);
    expect(await kv.add('n', 3)).toBe(8);
    expect(await kv.get('n')).toBe('8');
  });

  it('never answers the same sum to two tabs adding at once', async () => {
    const factory = new IDBFactory();
    const [one, two] = [store(factory), store(factory)];
    const sums = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? one : two).add('n', 1)));
    expect(new Set(sums).size).toBe(40);
    expect(Math.max(...sums)).toBe(40);
  });

  it('keeps what it holds across a reload (a new store on the same database)', async () => {
    const factory = new IDBFactory();
    await store(factory, 'app').set('tally.source', 'web:kept');
    await store(factory, 'app').add('n', 7);
    const reloaded = store(factory, 'app');
    expect(await reloaded.get('tally.source')).toBe('web:kept');
    expect(await reloaded.add('n', 1)).toBe(8);
    expect(await store(factory, 'another').get('tally.source')).toBeUndefined();
  });

  it('never hands out a seq twice across two tabs and a reload', async () => {
    const factory = new IDBFactory();
    const tabs = [new SeqAllocator(store(factory), 3), new SeqAllocator(store(factory), 3)];
    const seqs = await Promise.all(Array.from({ length: 30 }, (_, i) => tabs[i % 2]!.allocate()));
    seqs.push(await new SeqAllocator(store(factory), 3).allocate());
    expect(new Set(seqs).size).toBe(31);
  });

  it('closes for another tab that upgrades the database, and opens again after', async () => {
    const factory = new IDBFactory();
    const kv = store(factory, 'app');
    await kv.set('k', 'v');
    const upgrade = factory.open('app', 2);
    await new Promise((resolve, reject) => {
      upgrade.onsuccess = () => resolve(upgrade.result.close());
      upgrade.onerror = reject;
      upgrade.onblocked = () => reject(new Error('the store did not close its connection'));
    });
    // the store opens version 1 again, now older than the database's: it fails rather than hang
    await expect(kv.get('k')).rejects.toThrow();
  });
});

describe('browserStore', () => {
  afterEach(() => void vi.unstubAllGlobals());

  it('uses IndexedDB where there is one', async () => {
    vi.stubGlobal('indexedDB', new IDBFactory());
    vi.stubGlobal('IDBKeyRange', IDBKeyRange);
    vi.stubGlobal('localStorage', undefined);
    expect(await browserStore().add('n', 2)).toBe(2);
  });

  it('falls back to localStorage, and says so when there is neither', async () => {
    vi.stubGlobal('indexedDB', undefined);
    vi.stubGlobal('localStorage', undefined);
    expect(() => browserStore()).toThrow(/no browser storage here/);
    const items = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      length: 0,
      key: () => null,
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    });
    await browserStore().set('k', 'v');
    expect(items.get('k')).toBe('v');
  });
});
