import { RATE_WINDOW_MS, type QueueSettings } from './domain/outflow.js';
import { joinConflicts, joinWrites, type JoinBody, type JoinConflict, type JoinWrite } from './domain/join-writes.js';
import { applyRecords, type LoggedCommand, type QueueOutcome, type QueueState, type Ticket } from './domain/tickets.js';

/** What one transaction changed in one queue: written to Redis after the commit, as absolute values. */
export interface QueueChange {
  queueId: string;
  settings: QueueSettings;
  settingsVersion: number;
  /** How long admissions were observed to last (null: none ended yet), for wait estimates. */
  observedHoldMs: number | null;
  admittedTotal: number;
  /** Admissions in the minute up to clockMs, for wait estimates under admitPerMinute. */
  admittedLastMinute: number;
  /** The latest time of a record that changed the queue: where the rate's window ends (from the log, not a clock). */
  clockMs: number;
  tickets: Ticket[];
  aliases: [string, string][];
}

/**
 * What applying a partition's records needs from storage, inside one transaction that holds the partition:
 * the fence and the queues the records touch are loaded, the fold (domain/tickets.ts) decides, the result is
 * written with the fence.
 */
export interface QueueBatchStore {
  /** The last offset applied in the partition (-1: none). */
  appliedThrough(): Promise<number>;
  /** The part of each queue the records touch (a queue never seen: the defaults), aliases resolved. */
  queueStates(records: LoggedCommand[]): Promise<Map<string, QueueState>>;
  /** The queues' new state, their changed tickets in the order they changed, new aliases and the events. */
  write(outcomes: Map<string, QueueOutcome>): Promise<void>;
  advanceFence(offset: number): Promise<void>;
  /** Per queue, the tickets admitted after `sinceMs` (as the stored tickets show it, this batch's included). */
  admittedSince(windows: { queueId: string; sinceMs: number }[]): Promise<Map<string, number>>;
  /**
   * Records the body of each join whose id has none yet (the first of each id in the batch); returns, by id, the
   * bodies already recorded for the others (by an earlier batch, or one of another partition committed first).
   */
  recordJoins(joins: JoinWrite[]): Promise<Map<string, JoinBody>>;
}

/** The port the use case reads and writes through: one transaction per batch, serialised per partition. */
export interface QueuePort {
  inPartition<T>(partition: number, work: (batch: QueueBatchStore) => Promise<T>): Promise<T>;
}

/** What a batch did: the queues it changed, and the joins it refused because their id was reused. */
export interface AppliedCommands {
  changes: QueueChange[];
  conflicts: JoinConflict[];
}

/**
 * The use case: applies a partition's records in offset order (JOIN's joinOrder = its offset) past the fence
 * and moves the fence to `lastOffset`, the batch's last offset (records the handler refused included: they are
 * dead-lettered again if the batch comes again, since refusing needs no state). Returns what changed per queue,
 * and the joins refused as reused ids: never applied, they change nothing and are dead-lettered by the handler.
 */
export function applyQueueCommands(
  store: QueuePort,
  partition: number,
  records: LoggedCommand[],
  lastOffset: number,
): Promise<AppliedCommands> {
  return store.inPartition(partition, async (batch) => {
    const appliedThrough = await batch.appliedThrough();
    const conflicts = await reusedIds(batch, records);
    const refused = new Set(conflicts.map((c) => c.offset));
    const pending = records.filter((r) => r.offset > appliedThrough && !refused.has(r.offset));
    if (pending.length === 0) {
      await batch.advanceFence(lastOffset);
      return { changes: [], conflicts };
    }
    const queues = await batch.queueStates(pending);
    const applied = applyRecords({ appliedThrough, queues }, pending);
    await batch.write(applied.queues);
    await batch.advanceFence(Math.max(lastOffset, applied.appliedThrough));
    const changes = [...applied.queues].map(([queueId, outcome]) => changeOf(queueId, outcome));
    return { changes: await withAdmittedLastMinute(batch, changes), conflicts };
  });
}

/**
 * The joins of the batch that reuse an id with another body. Every join is judged, also those at or below the
 * fence: a batch redelivered after its transaction committed (a crash before its dead letters were
 * acknowledged) refuses, and reports, the same joins again, since what was recorded never changes. One statement
 * when every id is new (the ordinary case), a second only for ids seen before.
 */
async function reusedIds(batch: QueueBatchStore, records: LoggedCommand[]): Promise<JoinConflict[]> {
  const joins = joinWrites(records);
  if (joins.length === 0) return [];
  return joinConflicts(joins, await batch.recordJoins(joins));
}

function changeOf(queueId: string, { state, changed, aliases }: QueueOutcome): Omit<QueueChange, 'admittedLastMinute'> {
  const { settings, settingsVersion, observedHoldMs, admittedTotal, clockMs } = state;
  return {
    queueId,
    settings,
    settingsVersion,
    observedHoldMs,
    admittedTotal,
    clockMs,
    tickets: [...changed.values()],
    aliases: [...aliases],
  };
}

/** The admissions of each queue in the minute before its latest record: from the log, not the clock. */
export async function withAdmittedLastMinute(
  store: Pick<QueueBatchStore, 'admittedSince'>,
  changes: Omit<QueueChange, 'admittedLastMinute'>[],
): Promise<QueueChange[]> {
  if (changes.length === 0) return [];
  const counts = await store.admittedSince(
    changes.map((c) => ({ queueId: c.queueId, sinceMs: c.clockMs - RATE_WINDOW_MS })),
  );
  return changes.map((c) => ({ ...c, admittedLastMinute: counts.get(c.queueId) ?? 0 }));
}
