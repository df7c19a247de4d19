import { judgedEventTime } from '@tally/event-time';
import { formatWriteKey } from '@tally/contracts';
import type { ItemEvent, LateReason } from '@tally/schemas';
import type { BatchHandler, ConsumedRecord, LateEntry, Rejection } from '@tally/streaming';
import type { Logger } from '@tally/observability';
import {
  applyItemEvents,
  type ConsumedItemEvent,
  type CounterPort,
  type ItemSnapshot,
  type PartitionEvents,
} from './apply-item-events.js';
import { refusal } from './domain/counters.js';
import {
  SLIDING_WINDOWS,
  lateWindowName,
  lateWindows,
  minuteOf,
  minutesRetentionMs,
  windowStart,
  type RankingGraces,
} from './domain/windows.js';
import type { GroupCommit } from './flusher.js';

/**
 * A partition's batch: refuse what the domain refuses (to the dead-letter topic), judge each event's lateness
 * for the ranking windows, hand the rest to the group-commit flusher, and return once it is durable in
 * Postgres and projected to Redis; only then does the runtime commit the offsets. Events late for a window
 * and writes older than the seq archive are reported to the late topic from inside the flush's transaction.
 */
export function itemEventHandler(
  flusher: GroupCommit<PartitionEvents>,
  graces: RankingGraces,
): BatchHandler<ItemEvent> {
  return async ({ topic, partition, records, setAside }) => {
    const rejected: Rejection<ItemEvent>[] = [];
    const events: ConsumedItemEvent[] = [];
    const byOffset = new Map<number, ConsumedRecord<ItemEvent>>();
    for (const record of records) {
      const event = toEvent(record, graces);
      const reason = refusal(event);
      if (reason) rejected.push({ record, reason });
      else {
        events.push(event);
        byOffset.set(record.offset, record);
      }
    }
    const report = (late: ConsumedItemEvent[], forgotten: ConsumedItemEvent[]) =>
      setAside([
        ...late.map((e) =>
          lateEntry(
            byOffset.get(e.offset)!,
            e,
            'AFTER_GRACE',
            e.late.map((l) => l.reason).join('; '),
            e.late.map((l) => lateWindowName(l.window)),
            true,
          ),
        ),
        ...forgotten.map((e) =>
          lateEntry(
            byOffset.get(e.offset)!,
            e,
            'BEYOND_IDEMPOTENCY_HORIZON',
            `${formatWriteKey(e)} is older than what the seq archive of its source remembers: whether it was applied cannot be told`,
            [],
            false,
          ),
        ),
      ]);
    if (events.length > 0) await flusher.submit({ topic, partition, events, setAside: report }, events.length);
    return { rejected };
  };
}

function toEvent({ value, offset }: ConsumedRecord<ItemEvent>, graces: RankingGraces): ConsumedItemEvent {
  const eventTimeMs = judgedEventTime(value.atMs, value.receivedAtMs);
  const late = lateWindows(eventTimeMs, value.receivedAtMs, graces);
  return {
    source: value.source,
    seq: value.seq,
    itemId: value.itemId,
    kind: value.kind,
    userId: value.userId,
    sessionId: value.sessionId,
    counter: value.counter,
    by: value.by,
    eventTimeMs,
    late,
    windowed: !late.some((l) => l.window === '24h'),
    offset,
  };
}

function lateEntry(
  record: ConsumedRecord<ItemEvent>,
  event: ConsumedItemEvent,
  reasonCode: LateReason,
  reason: string,
  windows: string[],
  otherEffectsApplied: boolean,
): LateEntry<ItemEvent> {
  return {
    record,
    writeId: formatWriteKey(event),
    reasonCode,
    reason,
    windows,
    otherEffectsApplied,
    eventTimeMs: event.eventTimeMs,
    receivedAtMs: record.value.receivedAtMs,
  };
}

/** The counts' read model (CountsProjection in Redis): absolute snapshots, and which partitions it holds whole. */
export interface CountsProjectionPort {
  project(snapshots: ItemSnapshot[], asOfMs: number): Promise<void>;
  partitionsNotReady(partitions: number[]): Promise<number[]>;
  markReady(partition: number): Promise<void>;
}

/** What maintenance reads and prunes of the durable counts (CounterStore in Postgres). */
export interface CountsMaintenancePort {
  /** Absolute snapshots of the items, read in one snapshot. */
  snapshots(itemIds: string[], nowMs: number): Promise<ItemSnapshot[]>;
  /** One page of the partitions' items, in item order. */
  itemsOfPartitions(partitions: number[], after: string, limit: number): Promise<string[]>;
  /** Items with contributions in minutes [fromMs, toMs). */
  itemsWithMinutes(partitions: number[], fromMs: number, toMs: number): Promise<string[]>;
  pruneSeqArchive(partitions: number[], olderThanMs: number): Promise<number>;
  pruneMinutes(partitions: number[], beforeMs: number): Promise<void>;
}

/** What the flusher does with a group of batches: one Postgres transaction, then the Redis projection. */
export function writeThenProject(store: CounterPort, projection: CountsProjectionPort, now: () => number) {
  return async (batches: PartitionEvents[]) => {
    const at = now();
    await projection.project(await applyItemEvents(store, batches, at), at);
  };
}

export interface MaintenanceDeps {
  store: CountsMaintenancePort;
  projection: CountsProjectionPort;
  flusher: GroupCommit<PartitionEvents>;
  /** The partitions this instance owns right now. */
  owned: () => number[];
  now: () => number;
  logger: Logger;
  graces: RankingGraces;
  /** How long archived seq blocks are kept (see @tally/idempotency). */
  seqArchiveRetentionMs: number;
}

/** Between prunings of the seq archive: its retention is days, so a few minutes late costs nothing. */
const SEQ_ARCHIVE_PRUNE_MS = 10 * 60_000;

const PAGE = 500;

/**
 * Work that follows partition ownership, between flushes: rebuild the Redis projection of owned partitions
 * Redis lost (FLUSHALL, a restart without persistence), and re-project items whose windowed scores dropped
 * because minutes left a window.
 */
export class Maintenance {
  /** Per partition and sliding window: minutes before this edge are already out of the projection. */
  private readonly edges = new Map<number, Map<string, number>>();
  private lastArchivePrune = 0;

  constructor(private readonly deps: MaintenanceDeps) {}

  tick(): Promise<void> {
    return this.deps.flusher.exclusive(async () => {
      const owned = this.deps.owned();
      if (owned.length === 0) return;
      for (const partition of await this.deps.projection.partitionsNotReady(owned)) await this.rebuild(partition);
      await this.slideWindows(owned);
      await this.deps.store.pruneMinutes(owned, minuteOf(this.deps.now()) - minutesRetentionMs(this.deps.graces));
      if (Date.now() - this.lastArchivePrune >= SEQ_ARCHIVE_PRUNE_MS) {
        await this.deps.store.pruneSeqArchive(owned, Date.now() - this.deps.seqArchiveRetentionMs);
        this.lastArchivePrune = Date.now();
      }
    });
  }

  private async rebuild(partition: number): Promise<void> {
    const started = Date.now();
    let items = 0;
    for (let after = ''; ;) {
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
        const last = edges.get(window) ?? edge - minutesRetentionMs(this.deps.graces);
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
