import type { Heartbeat } from '@tally/schemas';
import type { BatchHandler, ConsumedRecord } from '@tally/streaming';
import type { CountPublisher } from './adapters/count-publisher.js';
import type { HistoryStore } from './adapters/postgres-history.js';
import type { ViewerStore } from './adapters/redis-viewers.js';
import { foldMinutes } from './domain/history.js';
import { eventTime } from './domain/viewers.js';

export interface AggregatorDeps {
  viewers: ViewerStore;
  history: HistoryStore;
  counts: CountPublisher;
  group: string;
  now: () => number;
}

/**
 * What one batch of heartbeats does: current viewers in Redis (idempotent by the rule itself: newest wins),
 * then the minute history in Postgres behind the offset fence and the (source, seq) windows (so neither a
 * replay nor a client's retry adds anything), then count changes to Kafka. Only after all three does the runtime commit the offsets.
 */
export function heartbeatHandler(deps: AggregatorDeps): BatchHandler<Heartbeat> {
  return async ({ topic, partition, records }) => {
    const now = deps.now();
    const { valid, rejected } = splitValid(records);
    const byStream = groupByStream(valid);
    const counts = new Map<string, number>();
    await Promise.all(
      [...byStream].map(async ([streamId, beats]) => {
        const applied = beats.map((r) => ({ sessionId: r.value.sessionId, atMs: r.value.atMs, receivedAtMs: r.value.receivedAtMs, ended: r.value.state === 'ENDED' }));
        counts.set(streamId, await deps.viewers.apply(streamId, applied, now));
      }),
    );
    const writes = valid.map((r) => ({ offset: r.offset, scope: `p${partition}`, source: r.value.source, seq: r.value.seq, streamId: r.value.streamId, sessionId: r.value.sessionId, eventTimeMs: eventTime(r.value) }));
    await deps.history.record({ group: deps.group, topic, partition }, records[records.length - 1]!.offset, writes, (fresh) => foldMinutes(fresh, counts, now));
    await deps.counts.publish(counts, now);
    return { rejected };
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
    else if (atMs < 0 || receivedAtMs < 0) rejected.push({ record, reason: 'heartbeat times must be epoch milliseconds' });
    else valid.push(record);
  }
  return { valid, rejected };
}
