import type { ItemEvent } from '@tally/schemas';
import type { BatchHandler, ConsumedRecord, Rejection } from '@tally/streaming';
import type { Logger } from '@tally/observability';
import type { ConsumedItemEvent, CounterStore, PartitionEvents } from './adapters/postgres-counters.js';
import type { CountsProjection } from './adapters/redis-projection.js';
import { refusal } from './domain/counters.js';
import { MINUTES_RETENTION_MS, SLIDING_WINDOWS, minuteOf, windowStart } from './domain/windows.js';
import type { Flusher } from './flusher.js';

/**
 * A partition's batch: refuse what the domain refuses (to the dead-letter topic), hand the rest to the
 * group-commit flusher, and return once it is durable in Postgres and projected to Redis; only then does
 * the runtime commit the offsets.
 */
export function itemEventHandler(flusher: Flusher<PartitionEvents>): BatchHandler<ItemEvent> {
  return async ({ topic, partition, records }) => {
    const rejected: Rejection<ItemEvent>[] = [];
    const events: ConsumedItemEvent[] = [];
    for (const record of records) {
      const event = toEvent(record);
      const reason = refusal(event);
      if (reason) rejected.push({ record, reason });
      else events.push(event);
    }
    if (events.length > 0) await flusher.submit({ topic, partition, events }, events.length);
    return { rejected };
  };
}

function toEvent({ value, offset }: ConsumedRecord<ItemEvent>): ConsumedItemEvent {
  return {
    source: value.source,
    seq: value.seq,
    itemId: value.itemId,
    kind: value.kind,
    userId: value.userId,
    sessionId: value.sessionId,
    counter: value.counter,
    by: value.by,
    // a client clock ahead of the gateway's cannot place an event in the future
    eventTimeMs: Math.min(value.atMs, value.receivedAtMs),
    offset,
  };
}

/** What the flusher does with a group of batches: one Postgres transaction, then the Redis projection. */
export function writeThenProject(store: CounterStore, projection: CountsProjection, now: () => number) {
  return async (batches: PartitionEvents[]) => {
    const at = now();
    await projection.project(await store.apply(batches, at), at);
  };
}

export interface MaintenanceDeps {
  store: CounterStore;
  projection: CountsProjection;
  flusher: Flusher<PartitionEvents>;
  /** The partitions this instance owns right now. */
  owned: () => number[];
  now: () => number;
  logger: Logger;
}

const PAGE = 500;

/**
 * Work that follows partition ownership, between flushes: rebuild the Redis projection of owned partitions
 * Redis lost (FLUSHALL, a restart without persistence), and re-project items whose windowed scores dropped
 * because minutes left a window.
 */
export class Maintenance {
  /** Per partition and sliding window: minutes before this edge are already out of the projection. */
  private readonly edges = new Map<number, Map<string, number>>();

  constructor(private readonly deps: MaintenanceDeps) {}

  tick(): Promise<void> {
    return this.deps.flusher.exclusive(async () => {
      const owned = this.deps.owned();
      if (owned.length === 0) return;
      for (const partition of await this.deps.projection.partitionsNotReady(owned)) await this.rebuild(partition);
      await this.slideWindows(owned);
      await this.deps.store.pruneMinutes(owned, minuteOf(this.deps.now()) - MINUTES_RETENTION_MS);
    });
  }

  private async rebuild(partition: number): Promise<void> {
    const started = Date.now();
    let items = 0;
    for (let after = ''; ; ) {
      const page = await this.deps.store.itemsOfPartitions([partition], after, PAGE);
      if (page.length === 0) break;
      await this.projectNow(page);
      items += page.length;
      after = page[page.length - 1]!;
    }
    await this.deps.projection.markReady(partition);
    this.deps.logger.info({ partition, items, ms: Date.now() - started }, 'partition projected to Redis from Postgres');
  }

  private async slideWindows(owned: number[]): Promise<void> {
    const now = this.deps.now();
    for (const partition of owned) {
      const edges = this.edges.get(partition) ?? new Map<string, number>();
      this.edges.set(partition, edges);
      for (const window of SLIDING_WINDOWS) {
        const edge = windowStart(window, now);
        // a partition new to this instance: anything within retention may still be counted in Redis
        const last = edges.get(window) ?? edge - MINUTES_RETENTION_MS;
        if (edge <= last) continue;
        const items = await this.deps.store.itemsWithMinutes([partition], last, edge);
        for (let i = 0; i < items.length; i += PAGE) await this.projectNow(items.slice(i, i + PAGE));
        edges.set(window, edge);
      }
    }
  }

  private async projectNow(itemIds: string[]): Promise<void> {
    const at = this.deps.now();
    await this.deps.projection.project(await this.deps.store.snapshots(itemIds, at), at);
  }
}
