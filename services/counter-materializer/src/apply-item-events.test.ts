import type { SourcedWrite, Verdict } from '@tally/idempotency';
import { describe, expect, it } from 'vitest';
import {
  applyItemEvents,
  type ConsumedItemEvent,
  type CounterFlushStore,
  type CounterPort,
  type PartitionEvents,
} from './apply-item-events.js';
import type { Decision } from './domain/counters.js';

/** A flush's storage in memory: fences per partition, every (scope, source, seq) seen, the decisions written. */
class MemoryCounters implements CounterPort {
  readonly fences = new Map<number, number>();
  readonly seen = new Set<string>();
  /** Writes older than this seq are beyond the archive: 'forgotten'. */
  horizon = 0;
  readonly written: { decision: Decision; partitionOf: Map<string, number> }[] = [];

  inTransaction<T>(work: (flush: CounterFlushStore) => Promise<T>): Promise<T> {
    return work({
      appliedThrough: async (partitions) => partitions.map(({ partition }) => this.fences.get(partition) ?? -1),
      advanceFences: async (advances) => {
        for (const { partition, offset } of advances)
          this.fences.set(partition, Math.max(offset, this.fences.get(partition) ?? -1));
      },
      admitWrites: async (writes: SourcedWrite[]) => writes.map((w) => this.admit(w)),
      registers: async () => new Map(),
      write: async (decision, partitionOf) => void this.written.push({ decision, partitionOf }),
      snapshots: async (itemIds) => itemIds.map((itemId) => ({ itemId }) as never),
    });
  }

  private admit({ scope, source, seq }: SourcedWrite): Verdict {
    if (seq < this.horizon) return 'forgotten';
    const key = `${scope}/${source}/${seq}`;
    if (this.seen.has(key)) return 'duplicate';
    this.seen.add(key);
    return 'new';
  }
}

const view = (offset: number, seq: number, change: Partial<ConsumedItemEvent> = {}): ConsumedItemEvent => ({
  source: 'app',
  seq,
  itemId: 'item',
  kind: 'VIEW',
  userId: 'u1',
  sessionId: null,
  counter: null,
  by: 1,
  eventTimeMs: 60_000,
  windowed: true,
  offset,
  late: [],
  ...change,
});

function batch(partition: number, events: ConsumedItemEvent[]) {
  const setAside: { late: number[]; forgotten: number[] }[] = [];
  const b: PartitionEvents = {
    topic: 'item-events',
    partition,
    events,
    setAside: async (late, forgotten) =>
      void setAside.push({ late: late.map((e) => e.seq), forgotten: forgotten.map((e) => e.seq) }),
  };
  return { batch: b, setAside };
}

describe('applying a flush of item events', () => {
  it('applies only events past the fence and new by (source, seq), and moves each fence to its batch end', async () => {
    const store = new MemoryCounters();
    store.fences.set(0, 1);
    const p0 = batch(0, [view(1, 1), view(2, 2), view(3, 2)]);
    const p1 = batch(1, [view(7, 9, { itemId: 'other' })]);
    const snapshots = await applyItemEvents(store, [p0.batch, p1.batch], 0);
    expect(store.fences).toEqual(
      new Map([
        [0, 3],
        [1, 7],
      ]),
    );
    const { decision, partitionOf } = store.written[0]!;
    expect(decision.deltas.get('item')?.views).toBe(1);
    expect(decision.deltas.get('other')?.views).toBe(1);
    expect(partitionOf).toEqual(
      new Map([
        ['item', 0],
        ['other', 1],
      ]),
    );
    expect(snapshots.map((s) => s.itemId)).toEqual(['item', 'other']);
  });

  it('reports new late events and forgotten writes to their own batch; a duplicate to no one', async () => {
    const store = new MemoryCounters();
    store.horizon = 5;
    const late = [{ window: '1h' as const, reason: 'late' }];
    const p0 = batch(0, [view(0, 10, { late }), view(1, 3), view(2, 10, { late })]);
    const p1 = batch(1, [view(0, 11)]);
    await applyItemEvents(store, [p0.batch, p1.batch], 0);
    expect(p0.setAside).toEqual([{ late: [10], forgotten: [3] }]);
    expect(p1.setAside).toEqual([]);
  });
});
