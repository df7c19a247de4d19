import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BLOCK_SEQS,
  admitToBlock,
  admitToWindow,
  blockOf,
  emptyWindowState,
  fromLegacyWindow,
  mergeBlock,
  type Verdict,
  type WindowState,
} from './archived-window.js';

/** The window and its archive in memory, composed as the Postgres adapter composes them. */
class Remembered {
  readonly window: WindowState = emptyWindowState();
  readonly archive = new Map<number, Uint8Array>();
  blocksWritten = 0;

  admit(seq: number): Verdict {
    const evicted = new Map<number, Uint8Array>();
    const verdict = admitToWindow(this.window, seq, evicted);
    for (const [block, bits] of evicted) {
      mergeBlock(this.archive, block, bits);
      this.blocksWritten++;
    }
    if (verdict !== 'archived') return verdict;
    const { verdict: below, bits } = admitToBlock(this.archive.get(blockOf(seq)), seq);
    if (below === 'new') {
      this.archive.set(blockOf(seq), bits);
      this.blocksWritten++;
    }
    return below;
  }

  /** Forgets archived blocks up to `block` (inclusive), as pruning old blocks does. */
  prune(block: number): void {
    for (const b of [...this.archive.keys()]) if (b <= block) this.archive.delete(b);
    this.window.horizon = Math.max(this.window.horizon, (block + 1) * BLOCK_SEQS);
  }
}

describe('the archived window', () => {
  it('applies a late retry exactly once after 1,500 newer writes of its source', () => {
    const memory = new Remembered();
    for (let seq = 2; seq <= 1501; seq++) expect(memory.admit(seq)).toBe('new');
    expect(memory.admit(1)).toBe('new'); // its first try never arrived
    expect(memory.admit(1)).toBe('duplicate');
    expect(memory.admit(2)).toBe('duplicate'); // long out of the window, found in the archive
  });

  it('archives one block per 1,024 consecutive writes', () => {
    const memory = new Remembered();
    for (let seq = 0; seq < 10 * BLOCK_SEQS; seq++) memory.admit(seq);
    expect(memory.blocksWritten).toBe(8); // blocks 0..7 left the window; 8 and 9 are in it
  });

  it('agrees with an exact set for any order, duplication and gaps (fast-check)', () => {
    const seqs = fc.array(fc.oneof(fc.nat(5000), fc.nat(40), fc.integer({ min: 1_000_000, max: 1_010_000 })), {
      maxLength: 400,
    });
    fc.assert(
      fc.property(seqs, fc.nat(), (list, seed) => {
        const deliveries = [...list, ...list.filter((_, i) => (i + seed) % 3 === 0)];
        const memory = new Remembered();
        const seen = new Set<number>();
        for (const seq of deliveries) {
          expect(memory.admit(seq)).toBe(seen.has(seq) ? 'duplicate' : 'new');
          seen.add(seq);
        }
      }),
    );
  });

  it('after pruning, answers forgotten below the horizon and is still exact above it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(8000), { minLength: 1, maxLength: 300 }),
        fc.array(fc.nat(8000), { maxLength: 100 }),
        fc.nat(6),
        (before, after, pruneBlock) => {
          const memory = new Remembered();
          const seen = new Set<number>();
          for (const seq of before) {
            memory.admit(seq);
            seen.add(seq);
          }
          // only blocks that left the window are ever pruned
          const prunable = Math.min(pruneBlock, blockOf(memory.window.highest) - 2);
          if (prunable >= 0) memory.prune(prunable);
          for (const seq of after) {
            const verdict = memory.admit(seq);
            if (seq < memory.window.horizon) expect(verdict).toBe('forgotten');
            else {
              expect(verdict).toBe(seen.has(seq) ? 'duplicate' : 'new');
              seen.add(seq);
            }
          }
        },
      ),
    );
  });

  it('reads a window written before blocks existed, forgetting only what that window had already lost', () => {
    const legacy = new Uint8Array(128);
    const setLegacy = (seq: number) => (legacy[(seq % 1024) >> 3]! |= 1 << (7 - (seq % 8)));
    for (const seq of [1500, 1800, 2999]) setLegacy(seq);
    const state = fromLegacyWindow(2999, legacy, 0);
    expect(state.horizon).toBe(1976);
    const evicted = new Map<number, Uint8Array>();
    expect(admitToWindow(state, 2999, evicted)).toBe('duplicate');
    expect(admitToWindow(state, 2000, evicted)).toBe('new');
    expect(admitToWindow(state, 1975, evicted)).toBe('forgotten');
  });
});
