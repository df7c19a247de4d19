import type { SourcedWrite, Verdict } from '@tally/idempotency';
import { describe, expect, it } from 'vitest';
import type { HistoryChange } from './domain/history.js';
import {
  recordHistory,
  type HistoryBatchStore,
  type HistoryPort,
  type HistoryWrite,
  type MarksRow,
} from './record-history.js';

/** The history's storage in memory: one partition's fence, the writes seen, the changes written. */
class MemoryHistory implements HistoryPort {
  readonly windowSeconds = 30;
  fence = -1;
  horizon = 0;
  readonly seen = new Set<string>();
  readonly changes: HistoryChange[] = [];
  readonly loaded: Omit<MarksRow, 'marks'>[][] = [];

  async inPartition(_fence: unknown, work: (batch: HistoryBatchStore) => Promise<void>): Promise<void> {
    await work({
      appliedThrough: async () => this.fence,
      admitWrites: async (writes: SourcedWrite[]) => writes.map((w) => this.admit(w)),
      marks: async (keys) => {
        this.loaded.push(keys);
        return keys.map((k) => ({ ...k, marks: new Uint8Array(60) }));
      },
      write: async (change) => void this.changes.push(change),
      advanceFence: async (offset) => void (this.fence = offset),
    });
  }

  private admit({ source, seq }: SourcedWrite): Verdict {
    if (seq < this.horizon) return 'forgotten';
    if (this.seen.has(`${source}:${seq}`)) return 'duplicate';
    this.seen.add(`${source}:${seq}`);
    return 'new';
  }
}

const T0 = Date.UTC(2026, 0, 1);
const beat = (offset: number, seq: number, change: Partial<HistoryWrite> = {}): HistoryWrite => ({
  streamId: 's',
  sessionId: 'a',
  atMs: T0 + offset * 1000,
  receivedAtMs: T0 + offset * 1000,
  ended: false,
  scope: 'p0',
  source: 'player',
  seq,
  offset,
  late: undefined,
  ...change,
});

const record = (store: MemoryHistory, writes: HistoryWrite[]) => {
  const setAside: { late: number[]; forgotten: number[] }[] = [];
  const done = recordHistory(
    store,
    { group: 'g', topic: 't', partition: 0 },
    writes[writes.length - 1]!.offset,
    writes,
    async (late, forgotten) =>
      void setAside.push({ late: late.map((w) => w.seq), forgotten: forgotten.map((w) => w.seq) }),
  );
  return done.then(() => setAside);
};

describe('recording a batch of heartbeats in the history', () => {
  it('folds new on-time beats past the fence, loading the marks they need, and moves the fence', async () => {
    const store = new MemoryHistory();
    store.fence = 0;
    await record(store, [beat(0, 0), beat(1, 1), beat(2, 1)]);
    expect(store.fence).toBe(2);
    expect(store.loaded.flat().length).toBeGreaterThan(0);
    expect(store.loaded.flat().every((k) => k.streamId === 's' && k.sessionId === 'a')).toBe(true);
    expect(store.changes).toHaveLength(1);
    expect(store.changes[0]!.minutes.reduce((n, m) => n + m.heartbeats, 0)).toBe(1);
  });

  it('changes nothing, the fence included, when the batch is at or below the fence', async () => {
    const store = new MemoryHistory();
    store.fence = 5;
    expect(await record(store, [beat(4, 4), beat(5, 5)])).toEqual([]);
    expect(store.fence).toBe(5);
    expect(store.changes).toEqual([]);
  });

  it('sets aside new late writes and forgotten ones, folds neither, and still moves the fence', async () => {
    const store = new MemoryHistory();
    store.horizon = 2;
    const late = { eventTimeMs: T0, reason: 'late' };
    const setAside = await record(store, [beat(0, 1), beat(1, 5, { late }), beat(2, 5, { late })]);
    expect(setAside).toEqual([{ late: [5], forgotten: [1] }]);
    expect(store.changes).toEqual([]);
    expect(store.fence).toBe(2);
  });
});
