import { formatWriteKey, type StreamShards } from '@tally/contracts';
import type { Heartbeat } from '@tally/schemas';
import { judgedEventTime } from '@tally/event-time';
import type { BatchHandler, ConsumedRecord, LateEntry } from '@tally/streaming';
import { HISTORY_WINDOW, lateForHistory } from './domain/history.js';
import { announcesCount } from './domain/shards.js';
import { presenceBeat, type PresenceBeat } from './domain/viewers.js';
import { recordHistory, type HistoryPort, type HistoryWrite } from './record-history.js';

/** Current viewers (ViewerStore in Redis): applies a stream's beats, answers its count of viewers now. */
export interface ViewersPort {
  apply(streamId: string, heartbeats: PresenceBeat[], nowMs: number): Promise<number>;
}

/** Where counts that changed are announced (CountPublisher to Kafka). */
export interface ViewerCountsPort {
  publish(counts: Map<string, number>, nowMs: number): Promise<void>;
}

export interface AggregatorDeps {
  viewers: ViewersPort;
  history: HistoryPort;
  counts: ViewerCountsPort;
  /** Hot streams' shards: a sharded stream's count is announced by the consumer of its shard 0 only. */
  shards: StreamShards;
  group: string;
  /** Allowed lateness of history minutes. */
  historyGraceMs: number;
  /** How far a heartbeat may be placed before its receipt and still make a session present. */
  clockToleranceMs: number;
  now: () => number;
}

/**
 * What one batch of heartbeats does: current viewers in Redis (idempotent by the rule itself: newest wins,
 * presence by receipt time), then the minute history in Postgres behind the offset fence and the (source, seq)
 * windows (so neither a replay nor a client's retry adds anything), with heartbeats too late for their minute
 * and writes older than the seq archive reported to the late topic, then count changes to Kafka. Only after
 * all of it does the runtime commit the offsets.
 */
export function heartbeatHandler(deps: AggregatorDeps): BatchHandler<Heartbeat> {
  return async ({ topic, partition, records, setAside }) => {
    const now = deps.now();
    const { valid, rejected } = splitValid(records);
    const counts = new Map<string, number>();
    await Promise.all(
      [...groupByStream(valid)].map(async ([streamId, beats]) => {
        const count = await deps.viewers.apply(
          streamId,
          beats.map((r) => presenceBeat(heartbeatEvent(r), deps.clockToleranceMs)),
          now,
        );
        // one announcer per stream (domain/shards.ts): a sharded stream's other shards leave it to its tick
        if (beats.some(({ value: v }) => announcesCount(deps.shards, streamId, v.sessionId, v.receivedAtMs)))
          counts.set(streamId, count);
      }),
    );
    const writes: HistoryWrite[] = valid.map((record) => ({
      ...heartbeatEvent(record),
      streamId: record.value.streamId,
      offset: record.offset,
      scope: `p${partition}`,
      source: record.value.source,
      seq: record.value.seq,
      late: lateForHistory(record.value, deps.historyGraceMs),
    }));
    const byOffset = new Map(valid.map((r) => [r.offset, r]));
    const report = (late: HistoryWrite[], forgotten: HistoryWrite[]) =>
      setAside([
        ...late.map((w) => setAsideEntry(byOffset.get(w.offset)!, 'AFTER_GRACE', w.late!.reason, w.late!.eventTimeMs)),
        ...forgotten.map((w) =>
          setAsideEntry(
            byOffset.get(w.offset)!,
            'BEYOND_IDEMPOTENCY_HORIZON',
            `${formatWriteKey(w)} is older than what the seq archive of its source remembers: whether it was applied cannot be told`,
            judgedEventTime(w.atMs, w.receivedAtMs),
          ),
        ),
      ]);
    await recordHistory(
      deps.history,
      { group: deps.group, topic, partition },
      records[records.length - 1]!.offset,
      writes,
      report,
    );
    await deps.counts.publish(counts, now);
    return { rejected };
  };
}

function heartbeatEvent({ value }: ConsumedRecord<Heartbeat>) {
  return {
    sessionId: value.sessionId,
    atMs: value.atMs,
    receivedAtMs: value.receivedAtMs,
    ended: value.state === 'ENDED',
  };
}

function setAsideEntry(
  record: ConsumedRecord<Heartbeat>,
  reasonCode: LateEntry<Heartbeat>['reasonCode'],
  reason: string,
  eventTimeMs: number,
): LateEntry<Heartbeat> {
  // presence took the heartbeat into account either way: only its history minute misses it
  return {
    record,
    writeId: formatWriteKey(record.value),
    reasonCode,
    reason,
    windows: [HISTORY_WINDOW],
    otherEffectsApplied: true,
    eventTimeMs,
    receivedAtMs: record.value.receivedAtMs,
  };
}

function groupByStream(records: ConsumedRecord<Heartbeat>[]): Map<string, ConsumedRecord<Heartbeat>[]> {
  const groups = new Map<string, ConsumedRecord<Heartbeat>[]>();
  for (const r of records) {
    const group = groups.get(r.value.streamId);
    if (group) group.push(r);
    else groups.set(r.value.streamId, [r]);
  }
  return groups;
}

/** The gateway validates; this guards the state against records written by anything else. */
function splitValid(records: ConsumedRecord<Heartbeat>[]) {
  const valid: ConsumedRecord<Heartbeat>[] = [];
  const rejected: { record: ConsumedRecord<Heartbeat>; reason: string }[] = [];
  for (const record of records) {
    const { streamId, sessionId, atMs, receivedAtMs } = record.value;
    if (!streamId || !sessionId) rejected.push({ record, reason: 'a heartbeat needs a streamId and a sessionId' });
    else if (atMs < 0 || receivedAtMs < 0)
      rejected.push({ record, reason: 'heartbeat times must be epoch milliseconds' });
    else valid.push(record);
  }
  return { valid, rejected };
}
