/**
 * Per-minute history of a stream, by event time: heartbeats received, distinct sessions seen, and the peak of
 * concurrent viewers (coverage.ts). A batch is folded here into one change per (stream, minute) and per
 * session, so Postgres receives set-based upserts per batch, never a statement per heartbeat. A heartbeat
 * later than the minute's allowed lateness is not applied to history (it goes to the late topic); whether it
 * is late depends on the heartbeat alone, so a rebuild sets aside the same ones.
 */
import { describeLateness, judgedEventTime, lateness } from '@tally/event-time';
import {
  MINUTE_SECONDS,
  coverBeats,
  minutesToLoad,
  type MarkedBeat,
  type MinuteMarks,
  type SessionMarks,
} from './coverage.js';

export const MINUTE_MS = 60_000;
/** The window a late heartbeat misses, as named in the late topic. */
export const HISTORY_WINDOW = 'viewers.history.minute';

export type Granularity = 'minute' | 'hour' | 'day';

export function minuteOf(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

export interface HeartbeatForHistory {
  streamId: string;
  sessionId: string;
  atMs: number;
  receivedAtMs: number;
  ended: boolean;
}

/** Why a heartbeat is too late for its history minute, or undefined when it is on time. */
export function lateForHistory(
  beat: Pick<HeartbeatForHistory, 'atMs' | 'receivedAtMs'>,
  graceMs: number,
): { eventTimeMs: number; reason: string } | undefined {
  const eventTimeMs = judgedEventTime(beat.atMs, beat.receivedAtMs);
  const minuteEnd = minuteOf(eventTimeMs) + MINUTE_MS;
  if (!lateness(minuteEnd, beat.receivedAtMs, graceMs).late) return undefined;
  return { eventTimeMs, reason: describeLateness(HISTORY_WINDOW, eventTimeMs, minuteEnd, beat.receivedAtMs, graceMs) };
}

export interface HistoryChange {
  /**
   * Per stream and minute touched: heartbeats to add, and the change of concurrency of each of its 60 seconds
   * (minutes with only coverage, no heartbeat of their own, add 0 heartbeats).
   */
  minutes: { streamId: string; minuteMs: number; heartbeats: number; concurrency: Int32Array }[];
  /** New marks of (stream, minute, session); a row per session and minute also counts it as a unique viewer. */
  marks: { streamId: string; minuteMs: number; sessionId: string; marks: MinuteMarks }[];
}

export const sessionKey = (streamId: string, sessionId: string) => `${streamId}\u0000${sessionId}`;

/** The marks each touched session needs loaded: (stream, session, minute start in epoch ms). */
export function marksToLoad(
  beats: HeartbeatForHistory[],
  windowSeconds: number,
): { streamId: string; sessionId: string; minuteMs: number }[] {
  return [...bySession(beats)].flatMap(([, group]) =>
    minutesToLoad(group.beats, windowSeconds).map((m) => ({
      streamId: group.streamId,
      sessionId: group.sessionId,
      minuteMs: m * 1000,
    })),
  );
}

/**
 * What on-time, never-applied heartbeats do to history, given the marks of the sessions they touch
 * (`loaded`: by stream and session, minute start in epoch seconds → marks).
 */
export function foldHistory(
  beats: HeartbeatForHistory[],
  loaded: Map<string, SessionMarks>,
  windowSeconds: number,
): HistoryChange {
  const minutes = new Map<string, HistoryChange['minutes'][number]>();
  const minute = (streamId: string, minuteMs: number) => {
    const key = `${streamId}\u0000${minuteMs}`;
    let row = minutes.get(key);
    if (!row)
      minutes.set(key, (row = { streamId, minuteMs, heartbeats: 0, concurrency: new Int32Array(MINUTE_SECONDS) }));
    return row;
  };
  for (const beat of beats) minute(beat.streamId, minuteOf(judgedEventTime(beat.atMs, beat.receivedAtMs))).heartbeats++;
  const marks: HistoryChange['marks'] = [];
  for (const [key, group] of bySession(beats)) {
    const covered = coverBeats(loaded.get(key) ?? new Map(), group.beats, windowSeconds);
    for (const [m, marked] of covered.marks)
      marks.push({ streamId: group.streamId, minuteMs: m * 1000, sessionId: group.sessionId, marks: marked });
    const { from, values } = covered.deltas;
    let row: HistoryChange['minutes'][number] | undefined;
    for (let i = 0; i < values.length; i++) {
      if (values[i] === 0) continue;
      const second = from + i;
      const offset = second % MINUTE_SECONDS;
      const minuteMs = (second - offset) * 1000;
      if (row?.minuteMs !== minuteMs) row = minute(group.streamId, minuteMs);
      row.concurrency[offset]! += values[i]!;
    }
  }
  return { minutes: [...minutes.values()], marks };
}

function bySession(beats: HeartbeatForHistory[]) {
  const groups = new Map<string, { streamId: string; sessionId: string; beats: MarkedBeat[] }>();
  for (const beat of beats) {
    const key = sessionKey(beat.streamId, beat.sessionId);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { streamId: beat.streamId, sessionId: beat.sessionId, beats: [] }));
    group.beats.push({ second: Math.floor(judgedEventTime(beat.atMs, beat.receivedAtMs) / 1000), ended: beat.ended });
  }
  return groups;
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
