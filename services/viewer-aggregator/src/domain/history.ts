/**
 * Per-minute history of a stream: heartbeats received, distinct sessions seen, and the peak of concurrent
 * viewers observed. A batch of heartbeats is folded into minute buckets here, so Postgres receives one upsert
 * per (stream, minute) per batch, never a statement per heartbeat.
 */
export const MINUTE_MS = 60_000;

export type Granularity = 'minute' | 'hour' | 'day';

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export interface MinuteBucket {
  streamId: string;
  minuteMs: number;
  heartbeats: number;
  sessions: Set<string>;
  peakConcurrent: number;
}

export interface HeartbeatForHistory {
  streamId: string;
  sessionId: string;
  eventTimeMs: number;
}

/**
 * Folds heartbeats into buckets by their event minute; `concurrentNow` gives the stream's count after the
 * batch, which is the peak candidate for the minute the batch was applied in.
 */
export function foldMinutes(heartbeats: HeartbeatForHistory[], concurrentNow: Map<string, number>, nowMs: number): MinuteBucket[] {
  const buckets = new Map<string, MinuteBucket>();
  const bucket = (streamId: string, minuteMs: number) => {
    const key = `${streamId}\u0000${minuteMs}`;
    let found = buckets.get(key);
    if (!found) buckets.set(key, (found = { streamId, minuteMs, heartbeats: 0, sessions: new Set(), peakConcurrent: 0 }));
    return found;
  };
  for (const hb of heartbeats) {
    const b = bucket(hb.streamId, minuteOf(hb.eventTimeMs));
    b.heartbeats++;
    b.sessions.add(hb.sessionId);
  }
  for (const [streamId, concurrent] of concurrentNow) {
    const b = bucket(streamId, minuteOf(nowMs));
    b.peakConcurrent = Math.max(b.peakConcurrent, concurrent);
  }
  return [...buckets.values()];
}

export interface HistoryQuery {
  fromMs: number;
  toMs: number;
  granularity: Granularity;
}

/** Ranges bounded so one read can never ask for years of minutes. */
export const maxBuckets: Record<Granularity, number> = { minute: 24 * 60, hour: 24 * 90, day: 3 * 366 };

const bucketMs: Record<Granularity, number> = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS };

export function validateHistoryQuery(query: HistoryQuery): string | undefined {
  if (!(query.fromMs < query.toMs)) return '`from` must be before `to`';
  if ((query.toMs - query.fromMs) / bucketMs[query.granularity] > maxBuckets[query.granularity]) {
    return `at most ${maxBuckets[query.granularity]} ${query.granularity} buckets per read`;
  }
  return undefined;
}
