/**
 * The writes not yet acknowledged, kept so that a reload, a crash or a lost network never drops one and never
 * renames one: each entry keeps the (source, seq) it was given when the app made the write, and every later
 * attempt, in this page or the next, sends exactly that. Bounded: past `capacity` a new write is refused rather
 * than an old one dropped, so nothing the app was told "queued" disappears.
 */
import type { KeyValueStore } from './seq.js';

export interface PendingWrite {
  /** `source:seq`, the write's id as the API reports it. */
  id: string;
  method: 'POST' | 'PUT';
  path: string;
  body: Record<string, unknown>;
  attempts: number;
  /** Epoch ms before which it is not sent again (backoff, Retry-After). */
  notBefore: number;
}

export const OUTBOX_KEY = 'tally.outbox';

export class OutboxFullError extends Error {
  constructor(capacity: number) {
    super(`the outbox holds ${capacity} unacknowledged writes already: refusing a new one rather than dropping one`);
    this.name = 'OutboxFullError';
  }
}

export class Outbox {
  private entries: PendingWrite[] = [];
  private loaded: Promise<void> | undefined;

  constructor(
    private readonly store: KeyValueStore,
    readonly capacity = 1000,
  ) {}

  /** The writes a previous page or process left unacknowledged, with their names. */
  load(): Promise<void> {
    this.loaded ??= this.store.get(OUTBOX_KEY).then((text) => {
      const kept = text ? (JSON.parse(text) as PendingWrite[]) : [];
      const known = new Set(this.entries.map((entry) => entry.id));
      this.entries = [...kept.filter((entry) => !known.has(entry.id)), ...this.entries];
    });
    return this.loaded;
  }

  async add(write: PendingWrite): Promise<void> {
    await this.load();
    if (this.entries.some((entry) => entry.id === write.id)) return;
    if (this.entries.length >= this.capacity) throw new OutboxFullError(this.capacity);
    this.entries.push(write);
    await this.persist();
  }

  async settle(id: string): Promise<void> {
    await this.load();
    this.entries = this.entries.filter((entry) => entry.id !== id);
    await this.persist();
  }

  async reschedule(id: string, notBefore: number): Promise<void> {
    const entry = this.entries.find((candidate) => candidate.id === id);
    if (!entry) return;
    entry.attempts += 1;
    entry.notBefore = notBefore;
    await this.persist();
  }

  /** The writes due at `now`, oldest first. */
  due(now: number): PendingWrite[] {
    return this.entries.filter((entry) => entry.notBefore <= now);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The earliest time something is due, for the next wake-up. */
  nextDue(): number | undefined {
    return this.entries.reduce<number | undefined>(
      (earliest, entry) => Math.min(earliest ?? Infinity, entry.notBefore),
      undefined,
    );
  }

  private persist(): Promise<void> {
    return this.store.set(OUTBOX_KEY, JSON.stringify(this.entries));
  }
}
