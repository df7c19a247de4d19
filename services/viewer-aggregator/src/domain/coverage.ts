/**
 * Peak concurrency by event time, the same however the heartbeats arrive. A session covers a second when its
 * newest heartbeat at or before that second (by event time, to the second) is a "playing" one at most
 * `windowSeconds - 1` seconds earlier — the live-viewer rule of docs/API.md, applied in event time — and an
 * "ended" heartbeat in the same second wins. The concurrency of a second is the number of sessions covering
 * it, and a minute's peak is the largest concurrency of its seconds.
 *
 * What a session's heartbeats are is kept as marks: per minute and second, whether a playing heartbeat and
 * whether an ended one fell in it. Marks only ever gain bits (a set of heartbeats, OR-merged), so the
 * coverage — a function of the marks — is the same for any delivery order, duplicates included, and a rebuild
 * from the topic reaches the same peaks as the live run. Each batch adds the change of coverage of the
 * sessions it touched (new minus old) to per-second counts.
 */
export const MINUTE_SECONDS = 60;

/** Per second of the minute: PLAYING if a playing heartbeat fell in it, ENDED if an ended one did (or both). */
export type MinuteMarks = Uint8Array;

export const PLAYING = 1;
export const ENDED = 2;

/** A session's marks by minute start (epoch seconds). */
export type SessionMarks = Map<number, MinuteMarks>;

export interface MarkedBeat {
  /** Event time, whole epoch seconds. */
  second: number;
  ended: boolean;
}

export interface CoverageChange {
  /** The minutes whose marks changed, with their new marks. */
  marks: SessionMarks;
  /** Change of this session's coverage (+1, -1 or 0) of each second from epoch second `from` on. */
  deltas: { from: number; values: Int8Array };
}

export const minuteStartOf = (second: number) => Math.floor(second / MINUTE_SECONDS) * MINUTE_SECONDS;

/** The minutes (epoch-second starts) whose marks `coverBeats` needs to judge these beats. */
export function minutesToLoad(beats: MarkedBeat[], windowSeconds: number): number[] {
  if (beats.length === 0) return [];
  const { from, to } = span(beats, windowSeconds);
  const minutes: number[] = [];
  for (let m = minuteStartOf(from); m <= to; m += MINUTE_SECONDS) minutes.push(m);
  return minutes;
}

/** Adds one session's beats to its marks (`before` must hold every minute of minutesToLoad). */
export function coverBeats(before: SessionMarks, beats: MarkedBeat[], windowSeconds: number): CoverageChange {
  const marks: SessionMarks = new Map();
  if (beats.length === 0) return { marks, deltas: { from: 0, values: new Int8Array(0) } };
  const { from, to, firstAffected } = span(beats, windowSeconds);
  const old = flagsOf(before, from, to);
  const now = Uint8Array.from(old);
  for (const beat of beats) now[beat.second - from]! |= beat.ended ? ENDED : PLAYING;
  const oldCover = cover(old, windowSeconds);
  const newCover = cover(now, windowSeconds);
  const first = firstAffected - from;
  const values = new Int8Array(now.length - first);
  for (let i = first; i < now.length; i++) values[i - first] = newCover[i]! - oldCover[i]!;
  const deltas = { from: firstAffected, values };
  for (const beat of beats) {
    const minute = minuteStartOf(beat.second);
    const held = marks.get(minute) ?? before.get(minute) ?? new Uint8Array(MINUTE_SECONDS);
    const flag = beat.ended ? ENDED : PLAYING;
    const second = beat.second - minute;
    if ((held[second]! & flag) !== 0 && before.has(minute)) continue;
    const next = marks.get(minute) ?? Uint8Array.from(held);
    next[second]! |= flag;
    marks.set(minute, next);
  }
  return { marks, deltas };
}

/** Seconds whose coverage the beats may change, and the marks that decide them (W - 1 seconds before). */
function span(beats: MarkedBeat[], windowSeconds: number) {
  let first = Infinity;
  let last = -Infinity;
  for (const b of beats) {
    first = Math.min(first, b.second);
    last = Math.max(last, b.second);
  }
  return { firstAffected: first, from: first - windowSeconds + 1, to: last + windowSeconds - 1 };
}

function flagsOf(marks: SessionMarks, from: number, to: number): Uint8Array {
  const flags = new Uint8Array(to - from + 1);
  for (let minute = minuteStartOf(from); minute <= to; minute += MINUTE_SECONDS) {
    const m = marks.get(minute);
    if (!m) continue;
    for (let s = Math.max(minute, from); s < Math.min(minute + MINUTE_SECONDS, to + 1); s++)
      flags[s - from] = m[s - minute]!;
  }
  return flags;
}

/** 1 where covered: the newest flagged second within the window is playing and not ended. */
function cover(flags: Uint8Array, windowSeconds: number): Uint8Array {
  const covered = new Uint8Array(flags.length);
  let newest = -Infinity;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i]) newest = i;
    covered[i] = i - newest < windowSeconds && flags[newest]! === PLAYING ? 1 : 0;
  }
  return covered;
}
