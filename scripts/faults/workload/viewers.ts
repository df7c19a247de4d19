/**
 * Live viewers: players heartbeating every 5 s on a few streams, now and then ending their session and a new
 * player taking the seat. Presence is judged by the server's clock (docs/API.md): a session is a current viewer
 * while its newest heartbeat is "playing" and the gateway received that heartbeat (its first copy) within the
 * window of now. The client's own `at` only orders a session's heartbeats (a clock never set: by receipt), and
 * a "playing" heartbeat whose `at` is more than the clock tolerance before its receipt makes no one present.
 *
 * The receipt time is not known here exactly, only that it lies between the first attempt of the write leaving
 * and the accepting answer coming back: the model keeps that interval for what decides each session's presence,
 * and the check reads a range (sessions certainly live ≤ observed ≤ sessions possibly live) that is exact up to
 * the HTTP round trip of each session's newest heartbeat.
 *
 * Each session heartbeats from one device (one source, in order) with one clock, so its newest heartbeat by the
 * services' rule is the last one it sent. When a device's clock changes (the skewed-clocks fault), its player
 * ends the session with the old clock and starts a new one with the new clock.
 *
 * Keepers: one session per stream heartbeats on its own timer, also while the load is paused, so a check made
 * long after the pause still has viewers to count (everything else has left the window by then).
 */
import { isUnset, receiptLagBounds, RIGHT, type Bounds, type Clock, type ClockName } from './clocks.js';
import type { TrafficContext } from './context.js';
import { SourcePool, type Source, type WriteTiming } from './sources.js';

export const HEARTBEAT_EVERY_MS = 5000;
/** The viewer-aggregator's VIEWER_CLOCK_TOLERANCE_SECONDS (its default, which the fault run keeps). */
export const VIEWER_CLOCK_TOLERANCE_MS = 600_000;
/** Out of every heartbeat of the main load, this share ends its session. */
const END_CHANCE = 0.02;
const NEW_PLAYER_AFTER_MS = 2000;
const HOLD_LIMIT_MS = 30_000;

/** What one accepted heartbeat says about its session's presence: playing or not, received within `receipt`. */
interface PresenceCandidate {
  ended: boolean;
  receipt: Bounds;
}

export interface SessionMark {
  streamId: string;
  keeper: boolean;
  clock: ClockName;
  /** The newest heartbeat sent said "ended". */
  ended: boolean;
  /** Heartbeats sent and not accepted yet (none while the load is paused and the keepers held). */
  pending: number;
  /**
   * The heartbeat presence rests on: the newest one the presence rule took (one it refused, a "playing" one
   * from beyond the clock tolerance, changes nothing). More than one when a heartbeat's receipt was so close
   * to the tolerance that whether it was taken cannot be told; none when no heartbeat was taken.
   */
  candidates: PresenceCandidate[];
}

/** A stream's viewers as the model knows them at an instant: a range, and how many sessions it is unsure of. */
export interface ExpectedViewers {
  certain: number;
  possible: number;
  /** Sessions counted in `possible` but not in `certain`: their newest heartbeat's round trip straddles the window's edge. */
  ambiguous: number;
  keepers: number;
}

export class ViewerModel {
  readonly sessions = new Map<string, SessionMark>();
  heartbeats = 0;
  readonly heartbeatsByClock: Record<ClockName, number> = { right: 0, behind: 0, ahead: 0, unset: 0 };
  sessionsEnded = 0;
  /** "Playing" heartbeats the presence rule refuses (received beyond the clock tolerance) and ones it may refuse. */
  readonly refused = { certainly: 0, maybe: 0 };

  constructor(readonly streams: readonly string[]) {}

  /** A heartbeat leaves (its acceptance follows, in order: a session's heartbeats come from one source). */
  sent(sessionId: string, heartbeat: { streamId: string; keeper: boolean; clock: ClockName; ended: boolean }): void {
    const mark = this.sessions.get(sessionId) ?? {
      streamId: heartbeat.streamId,
      keeper: heartbeat.keeper,
      clock: heartbeat.clock,
      ended: false,
      pending: 0,
      candidates: [],
    };
    this.sessions.set(sessionId, mark);
    mark.ended = heartbeat.ended;
    mark.pending++;
    this.heartbeats++;
    this.heartbeatsByClock[heartbeat.clock]++;
    if (heartbeat.ended) this.sessionsEnded++;
  }

  /** The gateway accepted a session's heartbeat: the presence rule (apply-heartbeats.lua) takes it, or refuses it. */
  accepted(sessionId: string, heartbeat: { atMs: number; ended: boolean }, timing: WriteTiming): void {
    const mark = this.sessions.get(sessionId);
    if (!mark) return;
    mark.pending--;
    const candidate = { ended: heartbeat.ended, receipt: { from: timing.firstSentAtMs, to: timing.acceptedAtMs } };
    // "ended" always counts; a clock never set is ordered by receipt, so it is never behind it
    if (heartbeat.ended || isUnset(heartbeat.atMs)) {
      mark.candidates = [candidate];
      return;
    }
    const lag = receiptLagBounds(heartbeat.atMs, timing);
    if (lag.to <= VIEWER_CLOCK_TOLERANCE_MS) mark.candidates = [candidate];
    else if (lag.from > VIEWER_CLOCK_TOLERANCE_MS) this.refused.certainly++;
    else {
      this.refused.maybe++;
      mark.candidates = [...mark.candidates, candidate];
    }
  }

  /** What GET viewers may answer at `nowMs` (the read's asOf): sessions whose presence heartbeat is playing and was received within the window. */
  expectedViewers(streamId: string, nowMs: number, windowMs: number): ExpectedViewers {
    const horizon = nowMs - windowMs;
    const counts: ExpectedViewers = { certain: 0, possible: 0, ambiguous: 0, keepers: 0 };
    for (const mark of this.sessions.values()) {
      if (mark.streamId !== streamId) continue;
      const certain =
        mark.pending === 0 &&
        mark.candidates.length > 0 &&
        mark.candidates.every((c) => !c.ended && c.receipt.from >= horizon);
      const possible = mark.pending > 0 || mark.candidates.some((c) => !c.ended && c.receipt.to >= horizon);
      if (certain) counts.certain++;
      if (possible) counts.possible++;
      if (possible && !certain) counts.ambiguous++;
      if (certain && mark.keeper) counts.keepers++;
    }
    return counts;
  }
}

interface Seat {
  index: number;
  streamId: string;
  source: Source;
  sessionId: string;
  generation: number;
  positionMs: number;
  nextBeatAtMs: number;
  /** The device's clock, and the one it is to run with from its next session on. */
  clock: Clock;
  wantClock: Clock;
  /** The `at` of the session's last heartbeat: each must be strictly newer to say anything. */
  lastAtMs: number;
  /** The session has sent its "ended": the next beat starts a new one. */
  ended: boolean;
}

/** Sends one heartbeat of a seat's session and records it in the model. */
function beat(
  ctx: TrafficContext,
  model: ViewerModel,
  seat: Seat,
  options: { ended: boolean; keeper: boolean },
): boolean {
  const at = seat.clock.at(Date.now());
  // newest wins by the session's own clock: a heartbeat must be strictly newer than the one before it
  if (at <= seat.lastAtMs) return false;
  seat.lastAtMs = at;
  seat.positionMs += HEARTBEAT_EVERY_MS;
  const { sessionId } = seat;
  const request = {
    method: 'POST' as const,
    path: `/v1/streams/${seat.streamId}/heartbeats`,
    body: {
      source: seat.source.name,
      seq: seat.source.nextSeq(),
      sessionId,
      userId: `${ctx.tag}-viewer-${seat.index}`,
      positionMs: seat.positionMs,
      at,
      ...(options.ended ? { state: 'ended' } : {}),
    },
  };
  model.sent(sessionId, {
    streamId: seat.streamId,
    keeper: options.keeper,
    clock: seat.clock.name,
    ended: options.ended,
  });
  seat.source.send({
    product: 'viewers',
    request,
    onAccepted: (_answer, timing) => {
      model.accepted(sessionId, { atMs: at, ended: options.ended }, timing);
      // a clock never set is ordered by receipt: a copy POSTed again minutes later is, by the rule, a newer
      // heartbeat (presence keeps no (source, seq)), so only heartbeats with a clock are repeated on purpose
      if (!isUnset(at)) ctx.repeats.offer({ product: 'viewers', request });
    },
  });
  return true;
}

/** The main load's players: driven by the load loop, so they stop when it pauses. */
export class ViewerTraffic {
  readonly pool: SourcePool;
  private readonly seats: Seat[];

  constructor(
    private readonly ctx: TrafficContext,
    private readonly model: ViewerModel,
    players: number,
    sourceCount: number,
  ) {
    const pool = (this.pool = new SourcePool(`${ctx.tag}.viewers`, sourceCount, ctx.gateway, ctx.stats));
    const now = Date.now();
    this.seats = Array.from({ length: players }, (_, index) => ({
      index,
      streamId: model.streams[index % model.streams.length]!,
      source: pool.sources[index % pool.sources.length]!,
      sessionId: `${ctx.tag}-session-${index}-0`,
      generation: 0,
      positionMs: 0,
      // spread over the first period, as players that did not all press play at once
      nextBeatAtMs: now + ctx.random.int(HEARTBEAT_EVERY_MS),
      clock: RIGHT,
      wantClock: RIGHT,
      lastAtMs: Number.NEGATIVE_INFINITY,
      ended: false,
    }));
  }

  /** From each seat's next session on, its device runs with `clockOf(seat index)`. */
  setClocks(clockOf: (seatIndex: number) => Clock): Record<ClockName, number> {
    const counts: Record<ClockName, number> = { right: 0, behind: 0, ahead: 0, unset: 0 };
    for (const seat of this.seats) {
      seat.wantClock = clockOf(seat.index);
      counts[seat.wantClock.name]++;
    }
    return counts;
  }

  /** Heartbeats every seat that is due; a busy source skips its beat (the player's network hiccup). */
  tick(nowMs: number): void {
    for (const seat of this.seats) {
      if (seat.nextBeatAtMs > nowMs) continue;
      if (seat.source.pending > 1) {
        this.ctx.stats.skipped.viewers++;
        seat.nextBeatAtMs = nowMs + HEARTBEAT_EVERY_MS;
        continue;
      }
      if (seat.clock !== seat.wantClock && !seat.ended && seat.positionMs > 0) {
        // the device's clock changes: its player ends the session (with the old clock) and starts another
        if (beat(this.ctx, this.model, seat, { ended: true, keeper: false })) seat.ended = true;
        seat.nextBeatAtMs = nowMs + NEW_PLAYER_AFTER_MS;
        continue;
      }
      if (seat.ended || seat.clock !== seat.wantClock) {
        // a new player takes the seat: a new session, on the device's clock as it now is
        seat.generation++;
        seat.sessionId = `${this.ctx.tag}-session-${seat.index}-${seat.generation}`;
        seat.positionMs = 0;
        seat.clock = seat.wantClock;
        seat.lastAtMs = Number.NEGATIVE_INFINITY;
        seat.ended = false;
      }
      const ended = this.ctx.random.chance(END_CHANCE);
      if (beat(this.ctx, this.model, seat, { ended, keeper: false }) && ended) seat.ended = true;
      seat.nextBeatAtMs = nowMs + (seat.ended ? NEW_PLAYER_AFTER_MS : HEARTBEAT_EVERY_MS);
    }
  }

  /** After a pause, beats resume from now rather than all at once. */
  reschedule(nowMs: number): void {
    for (const seat of this.seats) seat.nextBeatAtMs = nowMs + this.ctx.random.int(HEARTBEAT_EVERY_MS);
  }
}

/** One session per stream that keeps heartbeating while the load is paused; `hold` stops it for a read. */
export class Keepers {
  private readonly seats: Seat[];
  private held = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: TrafficContext,
    private readonly model: ViewerModel,
  ) {
    const pool = new SourcePool(`${ctx.tag}.keepers`, model.streams.length, ctx.gateway, ctx.stats);
    this.seats = model.streams.map((streamId, index) => ({
      index: 1_000_000 + index,
      streamId,
      source: pool.sources[index]!,
      sessionId: `${ctx.tag}-keeper-${index}`,
      generation: 0,
      positionMs: 0,
      nextBeatAtMs: 0,
      clock: RIGHT,
      wantClock: RIGHT,
      lastAtMs: Number.NEGATIVE_INFINITY,
      ended: false,
    }));
  }

  start(): void {
    if (this.timer) return;
    // unref: keepers never hold the process open once the run is over
    this.timer = setInterval(() => this.tick(Date.now()), 250).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * No new keeper heartbeat until `release`; resolves once every one sent has been accepted, or after
   * HOLD_LIMIT_MS while the gateway keeps refusing them (the check then counts a keeper still in flight as
   * possibly live).
   */
  async hold(): Promise<void> {
    this.held = true;
    await Promise.race([
      Promise.all(this.seats.map((s) => s.source.idle())),
      new Promise((resolve) => setTimeout(resolve, HOLD_LIMIT_MS).unref()),
    ]);
  }

  release(): void {
    this.held = false;
  }

  private tick(nowMs: number): void {
    if (this.held) return;
    for (const seat of this.seats) {
      if (seat.nextBeatAtMs > nowMs || seat.source.pending > 0) continue;
      if (beat(this.ctx, this.model, seat, { ended: false, keeper: true }))
        seat.nextBeatAtMs = nowMs + HEARTBEAT_EVERY_MS;
    }
  }
}
