/**
 * The live-viewer rule where it runs: the Redis script itself, fed random heartbeats of a few sessions in
 * random orders with duplicates (fast-check). Whatever the order, the count at any moment equals the rule
 * computed from the same heartbeats (src/domain/viewers.ts), and equals the count of the in-order delivery.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createRedis } from '@tally/storage';
import { uniqueName } from '@tally/testkit';
import { ViewerStore } from '../src/adapters/redis-viewers.js';
import type { PresenceBeat } from '../src/domain/viewers.js';

const stack = inject('stack');
const redis = createRedis(stack.redisUrl);
const WINDOW = 30_000;
const TOLERANCE = 600_000;
const store = new ViewerStore(redis, uniqueName('test:presence'), WINDOW, TOLERANCE);
const t0 = Date.UTC(2026, 11, 4, 12, 0, 0);

afterAll(() => redis.disconnect());

/** The rule from scratch: a session's newest heartbeat (ended wins ties) is playing and was heard within the window. */
function expectedViewers(beats: PresenceBeat[], nowMs: number): number {
  let count = 0;
  for (const session of new Set(beats.map((b) => b.sessionId))) {
    const eligible = beats.filter((b) => b.sessionId === session && (b.ended || b.withinTolerance));
    if (eligible.length === 0) continue;
    const newest = Math.max(...eligible.map((b) => b.orderingMs));
    const atNewest = eligible.filter((b) => b.orderingMs === newest);
    if (atNewest.some((b) => b.ended)) continue;
    // presence: the first receipt of the newest heartbeat (a duplicate of it, received later, changes nothing)
    const heard = Math.min(...atNewest.filter((b) => !b.ended).map((b) => b.receivedAtMs));
    if (heard >= nowMs - WINDOW) count++;
  }
  return count;
}

const beatArb = fc.record({
  sessionId: fc.constantFrom('a', 'b', 'c', 'd'),
  orderingMs: fc.oneof(
    fc.integer({ min: t0 - 120_000, max: t0 + 60_000 }),
    fc.constantFrom(t0, t0 + 5000, t0 - 700_000),
  ),
  lagMs: fc.integer({ min: 0, max: 60_000 }),
  ended: fc.boolean(),
});

describe('presence, by the Lua script in Redis', () => {
  it('counts the same for any order and duplication of the same heartbeats, and as the rule says', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(beatArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { minLength: 12, maxLength: 12 }),
        async (raw, order) => {
          // received in the order of ordering time (plus lag), so receipts are realistic: a heartbeat is received after it was sent
          const beats: PresenceBeat[] = raw.map((b) => {
            const receivedAtMs = Math.max(b.orderingMs, t0 - 60_000) + b.lagMs;
            return {
              sessionId: b.sessionId,
              orderingMs: b.orderingMs,
              receivedAtMs,
              ended: b.ended,
              withinTolerance: receivedAtMs - b.orderingMs <= TOLERANCE,
            };
          });
          const now = Math.max(...beats.map((b) => b.receivedAtMs)) + 1;
          const shuffled = [...beats, ...beats.filter((_, i) => order[i]! % 2 === 0)].sort(
            (x, y) => order[beats.indexOf(x)]! - order[beats.indexOf(y)]!,
          );
          const stream = `s${run++}`;
          let count = 0;
          // delivered in batches of two, in the shuffled order
          for (let i = 0; i < shuffled.length; i += 2) count = await store.apply(stream, shuffled.slice(i, i + 2), now);
          expect(count).toBe(expectedViewers(beats, now));
          expect(await store.currentViewers(stream, now + WINDOW + 1)).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
