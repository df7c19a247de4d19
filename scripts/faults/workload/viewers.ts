/**
 * Live viewers: players heartbeating every 5 s on a few streams, now and then ending their session and a new
 * player taking the seat. Every heartbeat carries its own event time (`at`, taken when it is made and kept by
 * its retries), so what the aggregator must count at any instant is known exactly: the sessions whose newest
 * heartbeat is playing and within the window of that instant (PRODUCT.md).
 *
 * Keepers: one session per stream heartbeats on its own timer, also while the load is paused, so a check made
 * long after the pause still has viewers to count (everything else has left the window by then).
 */
import type { TrafficContext } from './context.js';
import { SourcePool, type Source } from './sources.js';

export const HEARTBEAT_EVERY_MS = 5000;
/** Out of every heartbeat of the main load, this share ends its session. */
const END_CHANCE = 0.02;
const NEW_PLAYER_AFTER_MS = 2000;
const HOLD_LIMIT_MS = 30_000;

export interface SessionMark {
  streamId: string;
  /** Event time of the newest heartbeat sent (all of them accepted once the load is paused). */
  newestAtMs: number;
  ended: boolean;
  keeper: boolean;
}

export class ViewerModel {
  readonly sessions = new Map<string, SessionMark>();
  heartbeats = 0;
  sessionsEnded = 0;

  constructor(readonly streams: readonly string[]) {}

  record(sessionId: string, mark: SessionMark): void {
    this.sessions.set(sessionId, mark);
    this.heartbeats++;
    if (mark.ended) this.sessionsEnded++;
  }

  /** What GET viewers must answer at `nowMs`: sessions whose newest heartbeat is playing and within the window. */
  expectedViewers(streamId: string, nowMs: number, windowMs: number): { all: number; keepers: number } {
    let all = 0;
    let keepers = 0;
    for (const mark of this.sessions.values()) {
      if (mark.streamId !== streamId || mark.ended || mark.newestAtMs < nowMs - windowMs) continue;
      all++;
      if (mark.keeper) keepers++;
    }
    return { all, keepers };
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
}

/** Sends one heartbeat of a seat's session and records it in the model. */
function beat(ctx: TrafficContext, model: ViewerModel, seat: Seat, options: { ended: boolean; keeper: boolean }): boolean {
  const previous = model.sessions.get(seat.sessionId);
  const at = Date.now();
  // newest wins by event time: a heartbeat must be strictly newer than the one before it to say anything
  if (previous && at <= previous.newestAtMs) return false;
  seat.positionMs += HEARTBEAT_EVERY_MS;
  const request = {
    method: 'POST' as const,
    path: `/v1/streams/${seat.streamId}/heartbeats`,
    body: {
      source: seat.source.name,
      seq: seat.source.nextSeq(),
      sessionId: seat.sessionId,
      userId: `${ctx.tag}-viewer-${seat.index}`,
      positionMs: seat.positionMs,
      at,
      ...(options.ended ? { state: 'ended' } : {}),
    },
  };
  model.record(seat.sessionId, { streamId: seat.streamId, newestAtMs: at, ended: options.ended, keeper: options.keeper });
  seat.source.send({ product: 'viewers', request, onAccepted: () => ctx.repeats.offer({ product: 'viewers', request }) });
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
    }));
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
      if (this.model.sessions.get(seat.sessionId)?.ended) {
        // a new player takes the seat: a new session
        seat.generation++;
        seat.sessionId = `${this.ctx.tag}-session-${seat.index}-${seat.generation}`;
        seat.positionMs = 0;
      }
      const ended = this.ctx.random.chance(END_CHANCE);
      beat(this.ctx, this.model, seat, { ended, keeper: false });
      seat.nextBeatAtMs = nowMs + (ended ? NEW_PLAYER_AFTER_MS : HEARTBEAT_EVERY_MS);
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
   * HOLD_LIMIT_MS while the gateway keeps refusing them (the count read then may miss a keeper's last beat).
   */
  async hold(): Promise<void> {
    this.held = true;
    await Promise.race([Promise.all(this.seats.map((s) => s.source.idle())), new Promise((resolve) => setTimeout(resolve, HOLD_LIMIT_MS).unref())]);
  }

  release(): void {
    this.held = false;
  }

  private tick(nowMs: number): void {
    if (this.held) return;
    for (const seat of this.seats) {
      if (seat.nextBeatAtMs > nowMs || seat.source.pending > 0) continue;
      if (beat(this.ctx, this.model, seat, { ended: false, keeper: true })) seat.nextBeatAtMs = nowMs + HEARTBEAT_EVERY_MS;
    }
  }
}
