/**
 * The counts a like backlog must end in, worked out here from the records themselves, so that both
 * counter-materializer and the Kafka Streams peer can be checked item by item against something neither wrote.
 * The rules are counter-materializer's (its domain/counters.ts): a write repeated with the same (source, seq)
 * counts once; a like is a register per (item, user) where the newest event wins (judged event time, then
 * position); `likes` counts the registers holding a like; a view adds one to `views`.
 */
import { judgedEventTime } from '@tally/event-time';
import type { ItemEvent } from '@tally/schemas';

export interface ItemCounts {
  likes: number;
  views: number;
}

interface Register {
  liked: boolean;
  eventTimeMs: number;
  position: number;
}

/**
 * `events` in the order they were produced. counter-materializer remembers (source, seq) per partition; here
 * it is remembered over all of them, which is the same for a backlog whose repeated writes are sent with the
 * same key (so to the same partition) and whose sources never reuse a seq for another write. The position in
 * `events` stands for the offset: one item's events share a key, so a partition keeps them in this order.
 */
export function expectedCounts(events: readonly ItemEvent[]): Map<string, ItemCounts> {
  const seen = new Set<string>();
  const registers = new Map<string, Register>();
  const counts = new Map<string, ItemCounts>();
  events.forEach((event, position) => {
    const write = `${event.source}\u0000${event.seq}`;
    if (seen.has(write)) return;
    seen.add(write);
    const item = counts.get(event.itemId) ?? { likes: 0, views: 0 };
    counts.set(event.itemId, item);
    if (event.kind === 'VIEW') item.views += 1;
    if ((event.kind === 'LIKE' || event.kind === 'UNLIKE') && event.userId) {
      const key = `${event.itemId}\u0000${event.userId}`;
      const before = registers.get(key);
      const incoming = {
        liked: event.kind === 'LIKE',
        eventTimeMs: judgedEventTime(event.atMs, event.receivedAtMs),
        position,
      };
      if (!isNewer(incoming, before)) return;
      registers.set(key, incoming);
      item.likes += Number(incoming.liked) - Number(before?.liked ?? false);
    }
  });
  return counts;
}

const isNewer = (incoming: Register, before: Register | undefined) =>
  !before ||
  incoming.eventTimeMs > before.eventTimeMs ||
  (incoming.eventTimeMs === before.eventTimeMs && incoming.position > before.position);

/** The items whose counts differ from the expected ones; an item missing from either side counts zero there. */
export function mismatches(
  expected: ReadonlyMap<string, ItemCounts>,
  actual: ReadonlyMap<string, ItemCounts>,
): string[] {
  const zero = { likes: 0, views: 0 };
  return [...new Set([...expected.keys(), ...actual.keys()])].filter((itemId) => {
    const want = expected.get(itemId) ?? zero;
    const got = actual.get(itemId) ?? zero;
    return want.likes !== got.likes || want.views !== got.views;
  });
}
