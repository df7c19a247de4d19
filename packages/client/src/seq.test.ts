import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SEQ_HIGH_WATER_KEY, SeqAllocator, loadSource, newSource } from './seq.js';
import { memoryStore } from './store.js';

describe('source', () => {
  it('is made once per store and kept', async () => {
    const store = memoryStore();
    const first = await loadSource(store, 'web');
    expect(first).toMatch(/^web:[0-9a-f]{24}$/);
    expect(await loadSource(store, 'web')).toBe(first);
  });

  it('refuses a prefix that would make an invalid source', () => {
    expect(() => newSource('no spaces')).toThrow(/invalid source/);
  });
});

describe('seq', () => {
  it('hands out increasing seqs, concurrent callers included', async () => {
    const allocator = new SeqAllocator(memoryStore(), 10);
    const seqs = await Promise.all(Array.from({ length: 35 }, () => allocator.allocate()));
    expect(new Set(seqs).size).toBe(35);
    expect(Math.min(...seqs)).toBe(1);
  });

  it('persists a block before handing out its first seq', async () => {
    const store = memoryStore();
    const allocator = new SeqAllocator(store, 10);
    const seq = await allocator.allocate();
    expect(Number(store.data.get(SEQ_HIGH_WATER_KEY))).toBeGreaterThan(seq);
  });

  it('never repeats a seq across reloads, however many were used before each', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 25 }), { maxLength: 8 }), async (uses) => {
        const store = memoryStore();
        const seen = new Set<number>();
        for (const count of uses) {
          // a reload: a new allocator on the same store
          const allocator = new SeqAllocator(store, 7);
          for (let i = 0; i < count; i++) {
            const seq = await allocator.allocate();
            expect(seen.has(seq)).toBe(false);
            seen.add(seq);
          }
        }
      }),
    );
  });
});
