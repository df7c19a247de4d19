/**
 * Remembers which seqs of one source were applied, in bounded memory: the highest seq seen, plus one bit for
 * each of the `size` seqs just below it. A seq inside the window is answered exactly (new or duplicate); a
 * seq more than `size` below the highest is `stale`: it may or may not have been applied, and callers treat it
 * as already applied, so a replay never counts twice. The price: a write delayed by more than `size` newer
 * writes of its own source is not applied (and is reported as stale, for the dead-letter topic).
 *
 * No service uses it any more: the windows with their archive (archived-window.ts) replaced it. It is kept as
 * the baseline that scripts/bench/idempotency.ts measures them against, on the same write patterns.
 */
export type Verdict = 'new' | 'duplicate' | 'stale';

export interface SeqWindowState {
  /** -1 before anything was seen. */
  highest: number;
  /** bit i of byte j tells whether seq ≡ 8j+i (mod size) was seen, for seqs in (highest - size, highest]. */
  seen: Uint8Array;
}

export function emptyWindow(size: number): SeqWindowState {
  if (!Number.isInteger(size) || size < 8 || size % 8 !== 0)
    throw new RangeError(`window size must be a positive multiple of 8 (got ${size})`);
  return { highest: -1, seen: new Uint8Array(size / 8) };
}

/** Decides what `seq` is and, if new, records it. Mutates `state` (it is the window's own memory). */
export function admitSeq(state: SeqWindowState, seq: number): Verdict {
  const size = state.seen.length * 8;
  if (seq > state.highest) {
    const gap = seq - state.highest;
    if (gap >= size) state.seen.fill(0);
    else for (let s = state.highest + 1; s < seq; s++) setBit(state.seen, s % size, false);
    setBit(state.seen, seq % size, true);
    state.highest = seq;
    return 'new';
  }
  if (seq <= state.highest - size) return 'stale';
  if (getBit(state.seen, seq % size)) return 'duplicate';
  setBit(state.seen, seq % size, true);
  return 'new';
}

function getBit(bits: Uint8Array, index: number): boolean {
  return ((bits[index >> 3]! >> (7 - (index & 7))) & 1) === 1;
}

/** Most significant bit first, as Redis SETBIT numbers bits (and archived-window.ts does). */
function setBit(bits: Uint8Array, index: number, on: boolean): void {
  const mask = 1 << (7 - (index & 7));
  bits[index >> 3] = on ? bits[index >> 3]! | mask : bits[index >> 3]! & ~mask;
}
