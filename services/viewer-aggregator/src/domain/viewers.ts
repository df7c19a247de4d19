/**
 * The rule of live viewers (PRODUCT.md): a session is a current viewer while its newest heartbeat is within
 * the window of now. An older heartbeat never overrides a newer one, a duplicate changes nothing, and "ended"
 * removes the session at once. adapters/lua/apply-heartbeats.lua applies exactly this rule inside Redis.
 */
export interface SessionMark {
  /** Event time of the newest heartbeat applied, epoch ms. */
  atMs: number;
  ended: boolean;
}

export interface HeartbeatEvent {
  sessionId: string;
  atMs: number;
  receivedAtMs: number;
  ended: boolean;
}

/**
 * A client clock running ahead could otherwise keep a viewer alive long after it left: event time never goes
 * past the moment the gateway received the heartbeat.
 */
export function eventTime({ atMs, receivedAtMs }: { atMs: number; receivedAtMs: number }): number {
  return Math.min(atMs, receivedAtMs);
}

/**
 * The session's mark after this heartbeat, or undefined when it changes nothing. At equal times "ended" wins,
 * so a player that stops in the same millisecond as its last beat is gone at once.
 */
export function applyHeartbeat(mark: SessionMark | undefined, heartbeat: HeartbeatEvent): SessionMark | undefined {
  const atMs = eventTime(heartbeat);
  if (mark && (atMs < mark.atMs || (atMs === mark.atMs && (mark.ended || !heartbeat.ended)))) return undefined;
  return { atMs, ended: heartbeat.ended };
}

export function isWatching(mark: SessionMark, nowMs: number, windowMs: number): boolean {
  return !mark.ended && mark.atMs >= nowMs - windowMs;
}

/** The reference count over every session's mark (the Redis adapter answers the same with one ZCOUNT). */
export function currentViewers(marks: Iterable<SessionMark>, nowMs: number, windowMs: number): number {
  let count = 0;
  for (const mark of marks) if (isWatching(mark, nowMs, windowMs)) count++;
  return count;
}
