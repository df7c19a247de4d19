import type { PartitionFence, SourcedWrite, Verdict } from '@tally/idempotency';
import type { MinuteMarks, SessionMarks } from './domain/coverage.js';
import {
  foldHistory,
  marksToLoad,
  sessionKey,
  type HeartbeatForHistory,
  type HistoryChange,
} from './domain/history.js';

/**
 * A heartbeat as the history takes it: the domain's view, its position and write key, and, when it came too
 * late for its minute, why (then it is only remembered as applied, and reported).
 */
export type HistoryWrite = HeartbeatForHistory &
  SourcedWrite & { offset: number; late: { eventTimeMs: number; reason: string } | undefined };

/** Reports, before the commit, new writes too late for history and writes older than the seq archive. */
export type SetAsideWrites = (late: HistoryWrite[], forgotten: HistoryWrite[]) => Promise<void>;

/** A session's marks of one minute, as read or written. */
export interface MarksRow {
  streamId: string;
  sessionId: string;
  minuteMs: number;
  marks: MinuteMarks;
}

/** What recording a batch needs from the history's storage, inside the batch's one transaction. */
export interface HistoryBatchStore {
  /** The last offset of the partition whose history is recorded (-1: none). */
  appliedThrough(): Promise<number>;
  /** Records every write's (source, seq) in its scope's window: 'new' the first time, in order. */
  admitWrites(writes: SourcedWrite[]): Promise<Verdict[]>;
  /** The marks of these (stream, session, minute)s: a row that does not exist has empty marks. */
  marks(keys: Omit<MarksRow, 'marks'>[]): Promise<MarksRow[]>;
  /** Adds the change's heartbeats and concurrency to the minutes and sets the sessions' marks. */
  write(change: HistoryChange): Promise<void>;
  advanceFence(offset: number): Promise<void>;
}

/** The port the use case records through (HistoryStore in Postgres): one transaction per batch. */
export interface HistoryPort {
  /** How far back a heartbeat covers its session (seconds): the fold's window. */
  readonly windowSeconds: number;
  inPartition(fence: PartitionFence, work: (batch: HistoryBatchStore) => Promise<void>): Promise<void>;
}

/**
 * The use case: writes the history of one batch. Records at or below the partition's fence are already in the
 * tables; of the rest, only writes whose (source, seq) was never applied count — a client's retry is a second
 * record of the same write and counts once (and a late write is reported once). What is set aside is reported
 * inside the transaction: a crash before the commit redelivers it and it is reported again, never lost.
 */
export function recordHistory(
  store: HistoryPort,
  fence: PartitionFence,
  lastOffset: number,
  writes: HistoryWrite[],
  setAside: SetAsideWrites,
): Promise<void> {
  return store.inPartition(fence, async (batch) => {
    const appliedUpTo = await batch.appliedThrough();
    if (lastOffset <= appliedUpTo) return;
    const pending = writes.filter((w) => w.offset > appliedUpTo);
    const verdicts = await batch.admitWrites(pending);
    const admitted = pending.filter((_, i) => verdicts[i] === 'new');
    await setAside(
      admitted.filter((w) => w.late),
      pending.filter((_, i) => verdicts[i] === 'forgotten'),
    );
    const fresh = admitted.filter((w) => !w.late);
    if (fresh.length > 0) {
      const loaded = await batch.marks(marksToLoad(fresh, store.windowSeconds));
      await batch.write(foldHistory(fresh, bySession(loaded), store.windowSeconds));
    }
    await batch.advanceFence(lastOffset);
  });
}

/** Marks rows as the fold takes them: per session, by the minute's start in epoch seconds. */
function bySession(rows: MarksRow[]): Map<string, SessionMarks> {
  const sessions = new Map<string, SessionMarks>();
  for (const { streamId, sessionId, minuteMs, marks } of rows) {
    const key = sessionKey(streamId, sessionId);
    if (!sessions.has(key)) sessions.set(key, new Map());
    sessions.get(key)!.set(minuteMs / 1000, marks);
  }
  return sessions;
}
