/**
 * The rule of counter-materializer: what a batch of item events does to the counts. Pure; the use case
 * (apply-item-events.ts) loads the like registers it needs through its port, calls `decide`, and writes what it
 * returns in the flush's one transaction.
 *
 * - A like is a register per (item, user): the newest event wins — later event time, or at equal times the
 *   later position in the item's partition. `likes` counts the registers that hold a like. So repeated likes
 *   count once, an unlike removes, and a late, older event changes nothing.
 * - A view adds 1 to `views`; its viewer (userId, else sessionId) is a candidate for `uniqueViewers`, which the
 *   store counts exactly by inserting (item, viewer) pairs it has not seen.
 * - An increment adds `by` to the item's named counter.
 * Duplicated writes (same source and seq) never reach `decide`: the store drops them first. Events late for a
 * ranking window (windows.ts) still count in every total.
 */
import type { ItemEventKind } from '@tally/schemas';
import { minuteOf } from './windows.js';

export interface ItemEventToApply {
  itemId: string;
  kind: ItemEventKind;
  userId: string | null;
  sessionId: string | null;
  counter: string | null;
  by: number;
  /** Event time as judged by @tally/event-time. */
  eventTimeMs: number;
  /** False when the event is late even for the 24h window: it counts in the totals only, no minute row. */
  windowed: boolean;
  /** Position in the partition: orders events of equal time. */
  offset: number;
}

export interface LikeRegister {
  liked: boolean;
  /** The judged event time of the event that set it (eventTimeMs; not the writer's claimed atMs). */
  eventTimeMs: number;
  offset: number;
}

/** The metrics rankings are kept for: likes, views, and each named counter as `counter:<name>`. */
export type Metric = 'likes' | 'views' | `counter:${string}`;

export interface ItemDelta {
  likes: number;
  views: number;
  counters: Map<string, number>;
}

export interface Decision {
  /** New register values, by `registerKey(itemId, userId)`. */
  registers: Map<string, LikeRegister & { itemId: string; userId: string }>;
  deltas: Map<string, ItemDelta>;
  /** Windowed-ranking contributions by item, metric and event minute. */
  minutes: { itemId: string; metric: Metric; minuteMs: number; delta: number }[];
  viewers: { itemId: string; viewerId: string }[];
}

export const registerKey = (itemId: string, userId: string) => `${itemId}\u0000${userId}`;

export function isNewer(event: { eventTimeMs: number; offset: number }, register: LikeRegister | undefined): boolean {
  if (!register) return true;
  return (
    event.eventTimeMs > register.eventTimeMs ||
    (event.eventTimeMs === register.eventTimeMs && event.offset > register.offset)
  );
}

/** What `events` (in partition order, duplicates removed) do, given the like registers they touch. */
export function decide(events: ItemEventToApply[], registersBefore: ReadonlyMap<string, LikeRegister>): Decision {
  const registers = new Map<string, LikeRegister & { itemId: string; userId: string }>();
  const deltas = new Map<string, ItemDelta>();
  const minutes = new Map<string, { itemId: string; metric: Metric; minuteMs: number; delta: number }>();
  const viewers: { itemId: string; viewerId: string }[] = [];

  const deltaOf = (itemId: string) => {
    let d = deltas.get(itemId);
    if (!d) deltas.set(itemId, (d = { likes: 0, views: 0, counters: new Map() }));
    return d;
  };
  const addMinute = (event: ItemEventToApply, metric: Metric, eventTimeMs: number, delta: number) => {
    // an event late for every window touches no minute: its own and its register's older one are beyond all
    if (!event.windowed) return;
    const itemId = event.itemId;
    const minuteMs = minuteOf(eventTimeMs);
    const key = `${itemId}\u0000${metric}\u0000${minuteMs}`;
    const entry = minutes.get(key);
    if (entry) entry.delta += delta;
    else minutes.set(key, { itemId, metric, minuteMs, delta });
  };

  for (const event of events) {
    const item = deltaOf(event.itemId);
    switch (event.kind) {
      case 'LIKE':
      case 'UNLIKE': {
        const key = registerKey(event.itemId, event.userId!);
        const before = registers.get(key) ?? registersBefore.get(key);
        const incoming = { liked: event.kind === 'LIKE', eventTimeMs: event.eventTimeMs, offset: event.offset };
        if (!isNewer(incoming, before)) break;
        // a standing like belongs to the minute it was given in: move it out of its old minute, into the new one
        if (before?.liked) addMinute(event, 'likes', before.eventTimeMs, -1);
        if (incoming.liked) addMinute(event, 'likes', incoming.eventTimeMs, +1);
        item.likes += Number(incoming.liked) - Number(before?.liked ?? false);
        registers.set(key, { ...incoming, itemId: event.itemId, userId: event.userId! });
        break;
      }
      case 'VIEW': {
        item.views += 1;
        addMinute(event, 'views', event.eventTimeMs, 1);
        const viewerId = event.userId ? `u:${event.userId}` : event.sessionId ? `s:${event.sessionId}` : undefined;
        if (viewerId) viewers.push({ itemId: event.itemId, viewerId });
        break;
      }
      case 'INCREMENT': {
        const name = event.counter!;
        item.counters.set(name, (item.counters.get(name) ?? 0) + event.by);
        addMinute(event, `counter:${name}`, event.eventTimeMs, event.by);
        break;
      }
    }
  }
  return { registers, deltas, minutes: [...minutes.values()].filter((m) => m.delta !== 0), viewers };
}

/** Records the domain refuses (written by something other than the gateway): a reason, or undefined if fine. */
export function refusal(event: ItemEventToApply): string | undefined {
  if (!event.itemId) return 'an item event needs an itemId';
  if ((event.kind === 'LIKE' || event.kind === 'UNLIKE') && !event.userId) return 'a like or unlike needs a userId';
  if (event.kind === 'INCREMENT' && (!event.counter || !(event.by > 0)))
    return 'an increment needs a counter name and a positive amount';
  if (event.eventTimeMs < 0) return 'event times must be epoch milliseconds';
  return undefined;
}
