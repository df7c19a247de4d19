/**
 * The writes not yet acknowledged, kept so that a reload, a crash or a lost network never drops one and never
 * renames one: each entry keeps the (source, seq) it was given when the app made the write, and every later
 * attempt, in this page or the next, sends exactly that. Bounded: past `capacity` a new write is refused rather
 * than an old one dropped, so nothing the app was told "queued" disappears.
 */
import type { KeyValueStore } from './store.js';

export interface PendingWrite {
  /** `source:seq`, the write's id as the API reports it. */
  id: string;
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
  /** The batch route it may travel in, and its item there (named too). */
  batch?: { url: string; item: Record<string, unknown> };
  /** A newer write of the same slot replaces this one while it is unsent. */
  slot?: string;
  attempts: number;
  /** Epoch ms before which it is not sent again (backoff, Retry-After). */
  notBefore: number;
}

/** Each write is kept under its own key, so tabs sharing a store never overwrite each other's writes. */
export const OUTBOX_PREFIX = 'tally.outbox.';

export class OutboxFullError extends Error {
  constructor(capacity: number) {
    super(`outbox full (${capacity} unacknowledged writes): refused, nothing dropped`);
    this.name = 'OutboxFullError';
  }
}

export class Outbox {
  readonly #entries = new Map<string, PendingWrite>();
  #loaded: Promise<void> | undefined;
  readonly #storing = new Map<string, Promise<void>>();

  readonly #store: KeyValueStore;

  constructor(
    store: KeyValueStore,
    readonly capacity = 1000,
  ) {
    this.#store = store;
  }

  /** The writes a previous page or process (or another tab) left unacknowledged, with their names. */
  load(): Promise<void> {
    this.#loaded ??= this.adopt();
    return this.#loaded;
  }

  /** Reads the store again for writes this page does not know of (another tab's, left when it closed). */
  async adopt(): Promise<void> {
    for (const key of await this.#store.keys(OUTBOX_PREFIX)) {
      const id = key.slice(OUTBOX_PREFIX.length);
      if (this.#entries.has(id)) continue;
      const text = await this.#store.get(key);
      const write = text ? parseWrite(text) : undefined;
      if (write && !this.#entries.has(id)) this.#entries.set(id, write);
    }
  }

  /**
   * Keeps a write in this page at once (the outbox must be loaded), so a page that is closing can send it before
   * anything slow; answers the older writes of its slot that it replaced (those `replaceable` allows: not being
   * sent right now), which are forgotten: their seqs are simply never used. `persist` then stores the change.
   */
  keep(write: PendingWrite, replaceable: (old: PendingWrite) => boolean = () => true): PendingWrite[] {
    const replaced = write.slot
      ? [...this.#entries.values()].filter((old) => old.slot === write.slot && replaceable(old))
      : [];
    for (const old of replaced) this.#entries.delete(old.id);
    if (this.#entries.has(write.id)) return replaced;
    if (this.#entries.size >= this.capacity) throw new OutboxFullError(this.capacity);
    this.#entries.set(write.id, write);
    return replaced;
  }

  /** Stores a kept write and forgets the ones it replaced; a settle waits for this, so nothing comes back. */
  persist(write: PendingWrite, replaced: PendingWrite[] = []): Promise<void> {
    const stored = Promise.all([
      this.#store.set(OUTBOX_PREFIX + write.id, JSON.stringify(write)),
      ...replaced.map((old) => this.#store.delete(OUTBOX_PREFIX + old.id)),
    ]).then(() => undefined);
    this.#storing.set(write.id, stored);
    return stored;
  }

  async settle(id: string): Promise<void> {
    this.#entries.delete(id);
    await this.#storing.get(id)?.catch(() => undefined);
    this.#storing.delete(id);
    await this.#store.delete(OUTBOX_PREFIX + id);
  }

  /**
   * When to send a write again. In this page only: the store keeps what a write is and its name, not its backoff
   * (a reload starts over, and a batch that failed costs no store write per item).
   */
  reschedule(id: string, notBefore: number): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.attempts += 1;
    entry.notBefore = notBefore;
  }

  /** The writes due at `now`, oldest first. */
  due(now: number): PendingWrite[] {
    return [...this.#entries.values()].filter((entry) => entry.notBefore <= now);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The earliest time something not being sent is due, for the next wake-up. */
  nextDue(sending: ReadonlySet<string>): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.#entries.values())
      if (!sending.has(entry.id)) earliest = Math.min(earliest ?? Infinity, entry.notBefore);
    return earliest;
  }
}

/** A kept write, or nothing for what is not one (a store edited by hand): it is left for an operator, not sent. */
function parseWrite(text: string): PendingWrite | undefined {
  try {
    const write = JSON.parse(text) as PendingWrite;
    return typeof write.id === 'string' && typeof write.path === 'string' ? write : undefined;
  } catch {
    return undefined;
  }
}
