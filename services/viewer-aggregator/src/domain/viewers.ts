/**
 * The rule of live viewers (docs/API.md). Presence is judged by the server's clock; the client's clock only
 * orders a session's own heartbeats:
 *
 * - A session is a current viewer while its newest heartbeat is "playing" and the gateway received that
 *   heartbeat (its first copy, if it came more than once: a duplicate changes nothing) within `windowSeconds` of
 *   now. So a player whose clock is minutes off, either way, counts exactly like one whose clock is right.
 * - "Newest" is by the client's own `at` as sent (a clock never set still runs forward from its boot): an older
 *   heartbeat never overrides a newer one, a duplicate changes nothing, and "ended" removes the session at
 *   once; at equal times "ended" wins, so an older heartbeat delivered late cannot bring an ended session back.
 * - A "playing" heartbeat placed (by @tally/event-time's rule) more than the clock tolerance before its receipt
 *   does not make a session present: it is a retry of something long past (the session's newest heartbeat is
 *   remembered for the window plus the tolerance, so within that time a late retry is recognised as older
 *   anyway). A clock never set is placed at its receipt, so it always may.
 * - A session's newest heartbeat is remembered for the window plus the clock tolerance after the last heartbeat
 *   that advanced it was received; after that the session starts afresh, so memory follows current viewers.
 *   (So a retry arriving later than that, from a clock never set or running ahead, counts as new.)
 *
 * The rule runs in two halves: this file judges each heartbeat (presenceBeat), and Redis applies the rest
 * atomically per stream (adapters/lua/apply-heartbeats.lua). There is no TypeScript copy of the script's part:
 * test/presence.test.ts holds the script itself, fed by presenceBeat, to the rule as written here
 * (test/fixtures/presence-rule.ts) on random timelines (fast-check), so the rule is tested where it runs.
 */
import { judgedEventTime } from '@tally/event-time';

export interface HeartbeatEvent {
  sessionId: string;
  atMs: number;
  receivedAtMs: number;
  ended: boolean;
}

/**
 * What the presence script needs of a heartbeat: its session's clock as sent (the order), when it arrived,
 * and whether it may make the session present (within the clock tolerance).
 */
export interface PresenceBeat {
  sessionId: string;
  orderingMs: number;
  receivedAtMs: number;
  ended: boolean;
  withinTolerance: boolean;
}

export function presenceBeat(heartbeat: HeartbeatEvent, clockToleranceMs: number): PresenceBeat {
  return {
    sessionId: heartbeat.sessionId,
    orderingMs: heartbeat.atMs,
    receivedAtMs: heartbeat.receivedAtMs,
    ended: heartbeat.ended,
    withinTolerance:
      heartbeat.receivedAtMs - judgedEventTime(heartbeat.atMs, heartbeat.receivedAtMs) <= clockToleranceMs,
  };
}
