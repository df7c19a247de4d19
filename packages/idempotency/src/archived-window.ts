/**
 * Which seqs of one source were applied, exactly, far beyond a window, at a cost per block of seqs rather
 * than per write: the window holds the two newest blocks of BLOCK_SEQS seqs as bits; a block that falls out
 * of it (with any bit set) is archived whole, as one row; a seq below the window is looked up in its archived
 * block. Archived blocks are kept for a retention period; when older ones are pruned, `horizon` rises past
 * them, and a seq below the horizon is `forgotten`: whether it was applied can no longer be told, so the
 * caller must not apply it and must report it (the late topic), never drop it in silence.
 *
 * So a late retry is applied exactly once however many newer writes its source sent meanwhile, as long as it
 * arrives within the retention; the memory is at most 256 bytes per (scope, source) plus 128 bytes per archived
 * block that saw a write, and a source sending consecutive seqs archives one block per 1,024 writes.
 */
export const BLOCK_SEQS = 1024;
const BLOCK_BYTES = BLOCK_SEQS / 8;
/** The window: the block of the highest seq and the one before it. */
export const WINDOW_BYTES = 2 * BLOCK_BYTES;

export interface WindowState {
  /** -1 before anything was seen. */
  highest: number;
  /** Bit (seq mod 2·BLOCK_SEQS), most significant first, for the seqs of the two newest blocks. */
  seen: Uint8Array;
  /** The lowest seq still known exactly: anything below it is forgotten. */
  horizon: number;
}

/**
 * new / duplicate: decided by the window. archived: below the window, ask the archive (admitToBlock).
 * forgotten: below the horizon.
 */
export type WindowVerdict = 'new' | 'duplicate' | 'archived' | 'forgotten';
export type Verdict = 'new' | 'duplicate' | 'forgotten';

export const blockOf = (seq: number) => Math.floor(seq / BLOCK_SEQS);

export function emptyWindowState(): WindowState {
  return { highest: -1, seen: new Uint8Array(WINDOW_BYTES), horizon: 0 };
}

/**
 * Decides what `seq` is to the window and, if new, records it. Mutates `state`; blocks that fall out of the
 * window with bits set are OR-ed into `evicted` (block number → its BLOCK_SEQS bits) for the archive.
 */
export function admitToWindow(state: WindowState, seq: number, evicted: Map<number, Uint8Array>): WindowVerdict {
  if (seq < state.horizon) return 'forgotten';
  if (state.highest < 0) {
    setBit(state.seen, seq % (2 * BLOCK_SEQS));
    state.highest = seq;
    return 'new';
  }
  const current = blockOf(state.highest);
  const block = blockOf(seq);
  if (block > current) {
    // the blocks below block - 1 leave the window: archive what they saw, then free their bits for new seqs
    for (const leaving of [current - 1, current])
      if (leaving >= 0 && leaving < block - 1) evict(state.seen, leaving, evicted);
    setBit(state.seen, seq % (2 * BLOCK_SEQS));
    state.highest = seq;
    return 'new';
  }
  if (block < current - 1) return 'archived';
  const index = seq % (2 * BLOCK_SEQS);
  if (getBit(state.seen, index)) return 'duplicate';
  setBit(state.seen, index);
  state.highest = Math.max(state.highest, seq);
  return 'new';
}

/** A seq below the window, against its archived block (undefined: no write of that block was ever archived). */
export function admitToBlock(
  bits: Uint8Array | undefined,
  seq: number,
): { verdict: 'new' | 'duplicate'; bits: Uint8Array } {
  const index = seq % BLOCK_SEQS;
  if (bits && getBit(bits, index)) return { verdict: 'duplicate', bits };
  const next = bits ? Uint8Array.from(bits) : new Uint8Array(BLOCK_BYTES);
  setBit(next, index);
  return { verdict: 'new', bits: next };
}

/** ORs `more` into the block held for `block` in `blocks`. */
export function mergeBlock<K>(blocks: Map<K, Uint8Array>, block: K, more: Uint8Array): void {
  const held = blocks.get(block);
  if (!held) blocks.set(block, Uint8Array.from(more));
  else for (let i = 0; i < held.length; i++) held[i]! |= more[i]!;
}

/**
 * A window written before blocks existed (1,024 bits indexed by seq mod 1,024, covering the 1,024 seqs up to
 * `highest`) in today's form. Seqs below that old window were never archived, so the horizon starts there.
 */
export function fromLegacyWindow(highest: number, seen: Uint8Array, horizon: number): WindowState {
  const state: WindowState = {
    highest,
    seen: new Uint8Array(WINDOW_BYTES),
    horizon: Math.max(horizon, highest - seen.length * 8 + 1, 0),
  };
  for (let seq = state.horizon; seq <= highest; seq++)
    if (getBit(seen, seq % (seen.length * 8))) setBit(state.seen, seq % (2 * BLOCK_SEQS));
  return state;
}

function evict(seen: Uint8Array, block: number, evicted: Map<number, Uint8Array>): void {
  const start = (block % 2) * BLOCK_BYTES;
  const bits = seen.subarray(start, start + BLOCK_BYTES);
  if (bits.some((b) => b !== 0)) mergeBlock(evicted, block, bits);
  bits.fill(0);
}

function getBit(bits: Uint8Array, index: number): boolean {
  return ((bits[index >> 3]! >> (7 - (index & 7))) & 1) === 1;
}

/** Most significant bit first, as Redis SETBIT numbers bits and as seq-window.ts does. */
function setBit(bits: Uint8Array, index: number): void {
  bits[index >> 3]! |= 1 << (7 - (index & 7));
}
