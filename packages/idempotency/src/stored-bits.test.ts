import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPARSE_MAX_BITS, fromStoredBits, toStoredBits } from './stored-bits.js';

const bitmaps = (bytes: number) =>
  fc.oneof(
    fc.uniqueArray(fc.integer({ min: 0, max: bytes * 8 - 1 }), { maxLength: SPARSE_MAX_BITS + 4 }).map((indexes) => {
      const bits = new Uint8Array(bytes);
      for (const i of indexes) bits[i >> 3]! |= 0x80 >> (i & 7);
      return bits;
    }),
    fc.uint8Array({ minLength: bytes, maxLength: bytes }),
  );

describe('stored window and block bits', () => {
  it.each([128, 256])('round-trip a %i-byte bitmap, sparse or full', (bytes) => {
    fc.assert(
      fc.property(bitmaps(bytes), (bits) => {
        const stored = toStoredBits(bits);
        expect(fromStoredBits(stored, bytes)).toEqual(bits);
        expect(stored.length === bytes || stored.length <= 2 * SPARSE_MAX_BITS).toBe(true);
      }),
    );
  });

  it('store a window with one seq in 2 bytes and an empty one in none', () => {
    const bits = new Uint8Array(256);
    bits[100] = 0b0001_0000;
    expect([...toStoredBits(bits)]).toEqual([0x03, 0x23]);
    expect(toStoredBits(new Uint8Array(256)).length).toBe(0);
  });

  it('leave a value of another layout (a 1,024-bit window of before the archive) to the caller', () => {
    expect(fromStoredBits(new Uint8Array(128), 256)).toBeUndefined();
  });
});
