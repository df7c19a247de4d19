/**
 * The two halves of a write's name that the SDK keeps for the developer: a `source` per installation, made once
 * and kept, and a `seq` that never repeats for that source, across reloads, restarts and crashes.
 *
 * The seq counter is persisted in blocks: before handing out any seq of a block, the block's end is added to
 * the store. A reload, or another tab, starts after the last end written, so a seq is never handed out twice; a
 * crash skips at most the rest of one block (gaps are harmless: Tally needs a seq never reused, not contiguous).
 */
import { MAX_SEQ, SOURCE_PATTERN } from './generated/contract.js';
import type { KeyValueStore } from './store.js';

export const SOURCE_KEY = 'tally.source';
export const SEQ_HIGH_WATER_KEY = 'tally.seq.highWater';
export const SEQ_BLOCK = 1000;

/** A new source: a prefix the app chooses (at most 32 characters) and 96 random bits, hex. */
export function newSource(prefix = 'c', random: (bytes: number) => string = randomHex): string {
  const id = random(12);
  const source = `${prefix}:${id}`;
  if (!SOURCE_PATTERN.test(source))
    throw new Error(`the source prefix ${JSON.stringify(prefix)} makes an invalid source`);
  return source;
}

export async function loadSource(store: KeyValueStore, prefix?: string): Promise<string> {
  const kept = await store.get(SOURCE_KEY);
  if (kept && SOURCE_PATTERN.test(kept)) return kept;
  const source = newSource(prefix);
  await store.set(SOURCE_KEY, source);
  return source;
}

/** Hands out seqs in order; persists a block's end before the block's first seq leaves. One per store. */
export class SeqAllocator {
  #next = 0;
  #reservedUpTo = 0;
  #reserving: Promise<void> | undefined;

  readonly #store: KeyValueStore;
  readonly #block: number;

  constructor(store: KeyValueStore, block = SEQ_BLOCK) {
    this.#store = store;
    this.#block = block;
  }

  async allocate(): Promise<number> {
    while (this.#next >= this.#reservedUpTo) {
      this.#reserving ??= this.#reserve().finally(() => (this.#reserving = undefined));
      await this.#reserving;
    }
    return this.#next++;
  }

  /** Takes the next block for this page alone: the store's `add` is atomic, so two tabs never share a block. */
  async #reserve(): Promise<void> {
    const upTo = await this.#store.add(SEQ_HIGH_WATER_KEY, this.#block);
    if (upTo > MAX_SEQ) throw new Error('this source has used every seq: start a new source');
    this.#next = Math.max(upTo - this.#block, 1);
    this.#reservedUpTo = upTo;
  }
}

/** `bytes` random bytes from the platform's CSPRNG, as hex. */
export function randomHex(bytes: number): string {
  return [...globalThis.crypto.getRandomValues(new Uint8Array(bytes))]
    .map((byte) => (byte + 256).toString(16).slice(1))
    .join('');
}
