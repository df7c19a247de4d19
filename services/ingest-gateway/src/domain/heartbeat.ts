import type { Heartbeat } from '@tally/schemas';
import { eventTime } from './event-time.js';

/** A player position beyond ten years is a client bug, not a very long stream. */
export const MAX_POSITION_MS = 10 * 365.25 * 24 * 60 * 60 * 1000;

export type ClientPlaybackState = 'playing' | 'ended';

/** The JSON body of `POST /v1/streams/{streamId}/heartbeats`, once validated. */
export interface HeartbeatRequest {
  source: string;
  seq: number;
  sessionId: string;
  userId?: string;
  positionMs: number;
  at?: number;
  state?: ClientPlaybackState;
}

/** One item of the batch route: a heartbeat that names its stream. */
export interface BatchHeartbeatItem extends HeartbeatRequest {
  streamId: string;
}

const playbackStates: Record<ClientPlaybackState, Heartbeat['state']> = { playing: 'PLAYING', ended: 'ENDED' };

/**
 * The record a validated request becomes. Event time is the client's `at` when it sent one, else the time we
 * received it; the gateway keeps both untouched so the aggregator can judge them by @tally/event-time's rule
 * (presence by the receipt, order and history minutes by `at`) and a replay decides exactly as the first run did.
 */
export function toHeartbeat(streamId: string, request: HeartbeatRequest, receivedAtMs: number): Heartbeat {
  return {
    source: request.source,
    seq: request.seq,
    streamId,
    sessionId: request.sessionId,
    userId: request.userId ?? null,
    positionMs: request.positionMs,
    state: playbackStates[request.state ?? 'playing'],
    atMs: eventTime(request.at, receivedAtMs),
    receivedAtMs,
  };
}
