/**
 * How the bits of windows and archived blocks are stored in Postgres. A set with few bits goes as its bit
 * indexes (2 bytes each, at most SPARSE_MAX_BITS of them), anything fuller as the bitmap itself; the length
 * tells the two apart (a sparse form is at most 32 bytes, a bitmap 128 or 256).
 *
 * Why: most (scope, source) windows hold a handful of seqs (a client that writes to many keys spreads its
 * seqs over partitions), so most of a 256-byte bitmap is zeros, and node-postgres sends a bytea[] parameter
 * and reads a bytea column as hex text: 512 characters per window to build, send, parse and log in WAL.
 * Measured in the counters benchmark (200,000 likes of 50,000 users): the windows' upsert and read were 52% of
 * the flush's SQL time, the like registers' (the same number of rows, 70 bytes each) 26%.
 */
export const SPARSE_MAX_BITS = 16;

const isSparse = (stored: Uint8Array) => stored.length <= 2 * SPARSE_MAX_BITS && stored.length % 2 === 0;

/** The stored form of `bits`. */
export function toStoredBits(bits: Uint8Array): Buffer {
  const indexes: number[] = [];
  for (let byte = 0; byte < bits.length; byte++) {
    const value = bits[byte]!;
    if (value === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      if ((value & (0x80 >> bit)) === 0) continue;
      if (indexes.length === SPARSE_MAX_BITS) return Buffer.from(bits);
      indexes.push(byte * 8 + bit);
    }
  }
  const sparse = Buffer.alloc(indexes.length * 2);
  indexes.forEach((index, i) => sparse.writeUInt16BE(index, i * 2));
  return sparse;
}

/**
 * The bitmap of `bytes` bytes a stored value holds, or undefined when it is in neither form (an older
 * layout the caller knows how to read).
 */
export function fromStoredBits(stored: Uint8Array, bytes: number): Uint8Array | undefined {
  if (stored.length === bytes) return Uint8Array.from(stored);
  if (!isSparse(stored)) return undefined;
  const bits = new Uint8Array(bytes);
  for (let i = 0; i < stored.length; i += 2) {
    const index = (stored[i]! << 8) | stored[i + 1]!;
    bits[index >> 3]! |= 0x80 >> (index & 7);
  }
  return bits;
}
