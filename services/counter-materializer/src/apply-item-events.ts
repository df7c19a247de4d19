import type { SourcedWrite, Verdict } from '@tally/idempotency';
import { decide, type Decision, type ItemEventToApply, type LikeRegister, type Metric } from './domain/counters.js';
import type { SlidingWindow } from './domain/windows.js';

/** An item event as consumed: the domain's view of it, its write key, and the ranking windows it is late for. */
export interface ConsumedItemEvent extends ItemEventToApply {
  source: string;
  seq: number;
  late: { window: SlidingWindow; reason: string }[];
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionEvents {
  topic: string;
  partition: number;
  events: ConsumedItemEvent[];
  /** Reports, before the commit, new events late for a window and writes older than the seq archive. */
  setAside: (late: ConsumedItemEvent[], forgotten: ConsumedItemEvent[]) => Promise<void>;
}

/** Everything Redis shows of one item, read in one snapshot: the projection writes it as absolute values. */
export interface ItemSnapshot {
  itemId: string;
  partition: number;
  version: number;
  likes: number;
  views: number;
  uniqueViewers: number;
  counters: Record<string, number>;
  /** Per metric: the sums inside the 1h and 24h windows at the snapshot's time. */
  windowed: Map<Metric, { '1h': number; '24h': number }>;
}

/**
 * What a flush needs from the counts' storage, inside the one transaction of the flush: the fences and the
 * (source, seq) windows tell what is new, the like registers are loaded, the domain decides, the result is
 * written and the touched items are read back as they now are.
 */
export interface CounterFlushStore {
  /** The last offset applied of each partition (-1: none), in the order asked. */
  appliedThrough(partitions: TopicPartition[]): Promise<number[]>;
  advanceFences(advances: (TopicPartition & { offset: number })[]): Promise<void>;
  /** Records every write's (source, seq) in its scope's window: 'new' the first time, in order. */
  admitWrites(writes: SourcedWrite[]): Promise<Verdict[]>;
  /** The like registers the events name, by `registerKey`. */
  registers(events: ItemEventToApply[]): Promise<Map<string, LikeRegister>>;
  /**
   * Writes a decision: registers, new viewers, and the deltas to every item of `partitionOf` (a zero delta
   * too), its counters and its minutes.
   */
  write(decision: Decision, partitionOf: Map<string, number>): Promise<void>;
  snapshots(itemIds: string[], nowMs: number): Promise<ItemSnapshot[]>;
}

/** The port the flush runs through: one transaction for every batch of the flush. */
export interface CounterPort {
  inTransaction<T>(work: (flush: CounterFlushStore) => Promise<T>): Promise<T>;
}

interface PendingEvent {
  event: ConsumedItemEvent;
  batch: PartitionEvents;
}

/**
 * The use case: applies the batches of several partitions in one transaction (past each partition's fence,
 * writes new by their (source, seq) only), reports what is set aside before the commit, and returns the
 * touched items' snapshots.
 */
export function applyItemEvents(
  store: CounterPort,
  batches: PartitionEvents[],
  nowMs: number,
): Promise<ItemSnapshot[]> {
  return store.inTransaction(async (flush) => {
    const partitionOf = new Map<string, number>();
    const pending: PendingEvent[] = [];
    const nonEmpty = batches.filter((b) => b.events.length > 0);
    const applied = await flush.appliedThrough(nonEmpty);
    nonEmpty.forEach((batch, i) => {
      for (const event of batch.events) {
        if (event.offset > applied[i]!) pending.push({ event, batch });
        partitionOf.set(event.itemId, batch.partition);
      }
    });
    await flush.advanceFences(
      nonEmpty.map(({ topic, partition, events }) => ({ topic, partition, offset: events[events.length - 1]!.offset })),
    );
    // one round of statements for the (source, seq) windows of every partition in the flush
    const verdicts = await flush.admitWrites(pending.map(({ event, batch }) => writeOf(event, batch.partition)));
    for (const [batch, aside] of setAside(pending, verdicts)) await batch.setAside(aside.late, aside.forgotten);
    const fresh = pending.filter((_, i) => verdicts[i] === 'new').map((p) => p.event);
    const decision = decide(fresh, await flush.registers(fresh));
    // every item of the batches is written (a zero delta too), so a redelivery re-projects what a crash
    // between this commit and the Redis write may have left stale
    await flush.write(decision, partitionOf);
    return flush.snapshots([...partitionOf.keys()], nowMs);
  });
}

/** A partition's writes share one (source, seq) window per partition: the scope. */
const writeOf = (event: ConsumedItemEvent, partition: number): SourcedWrite => ({
  scope: `p${partition}`,
  source: event.source,
  seq: event.seq,
});

/** Per batch, its new events late for a window and its writes older than the seq archive. */
export function setAside(
  pending: PendingEvent[],
  verdicts: Verdict[],
): Map<PartitionEvents, { late: ConsumedItemEvent[]; forgotten: ConsumedItemEvent[] }> {
  const byBatch = new Map<PartitionEvents, { late: ConsumedItemEvent[]; forgotten: ConsumedItemEvent[] }>();
  pending.forEach(({ event, batch }, i) => {
    const aside =
      verdicts[i] === 'forgotten' ? 'forgotten' : verdicts[i] === 'new' && event.late.length > 0 ? 'late' : undefined;
    if (!aside) return;
    if (!byBatch.has(batch)) byBatch.set(batch, { late: [], forgotten: [] });
    byBatch.get(batch)![aside].push(event);
  });
  return byBatch;
}
