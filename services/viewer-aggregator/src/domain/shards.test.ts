import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStreamShards, sessionShard } from '@tally/contracts';
import { announcesCount, bySubKey, readLayout, writeLayouts } from './shards.js';
import type { PresenceBeat } from './viewers.js';

const WINDOW = 30_000;
const MEMORY = 630_000;
const T = 10_000_000;

/**
 * The rule per session, restated for this test only (test/fixtures/presence-rule.ts is the full one, which
 * test/sharded-presence.test.ts holds the Lua script to): the newest eligible heartbeat by the client's clock,
 * "ended" winning a tie, is "playing" and its first receipt is within the window.
 */
function viewers(beats: PresenceBeat[], nowMs: number): number {
  const sessions = new Map<string, PresenceBeat[]>();
  for (const b of beats) sessions.set(b.sessionId, [...(sessions.get(b.sessionId) ?? []), b]);
  let count = 0;
  for (const own of sessions.values()) {
    const eligible = own.filter((b) => b.ended || b.withinTolerance);
    if (eligible.length === 0) continue;
    const newest = Math.max(...eligible.map((b) => b.orderingMs));
    const atNewest = eligible.filter((b) => b.orderingMs === newest);
    if (!atNewest.some((b) => b.ended) && Math.min(...atNewest.map((b) => b.receivedAtMs)) >= nowMs - WINDOW) count++;
  }
  return count;
}

const beatArb = fc.record({
  sessionId: fc.integer({ min: 0, max: 40 }).map((i) => `sess-${i}`),
  orderingMs: fc.integer({ min: 0, max: 60_000 }),
  receivedAtMs: fc.integer({ min: 0, max: 60_000 }),
  ended: fc.boolean(),
  withinTolerance: fc.boolean(),
});

describe('hot stream shards', () => {
  it('counts a sharded stream exactly as one key would, for any heartbeats, duplicated and in any order', () => {
    fc.assert(
      fc.property(
        fc.array(beatArb, { maxLength: 60 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 0, max: 90_000 }),
        (beats, dupes, shards, now) => {
          const config = parseStreamShards(`hot=${shards}`);
          // every heartbeat once more where the random list says so, then shuffled by it
          const delivered = [...beats, ...beats.filter((_, i) => (dupes[i] ?? 1) % 3 === 0)]
            .map((b, i) => ({ b, k: dupes[i % Math.max(1, dupes.length)] ?? i }))
            .sort((x, y) => x.k - y.k)
            .map(({ b }) => b);
          const groups = bySubKey(config, 'hot', delivered, MEMORY);
          // each session lives in exactly one sub-key
          for (const g of groups)
            for (const b of g.beats) expect(sessionShard(b.sessionId, shards)).toBe(g.subKey.shard);
          expect(groups.reduce((n, g) => n + g.beats.length, 0)).toBe(delivered.length);
          expect(readLayout(config, 'hot', now, MEMORY)).toBe(shards);
          const sharded = groups.reduce((n, g) => n + viewers(g.beats, now), 0);
          expect(sharded).toBe(viewers(beats, now));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps a stream of one shard as one group, untouched', () => {
    const beats = [{ sessionId: 'a', orderingMs: 1, receivedAtMs: 1, ended: false, withinTolerance: true }];
    expect(bySubKey(parseStreamShards('hot=4'), 'cold', beats, MEMORY)).toEqual([
      { subKey: { shards: 1, shard: 0 }, beats },
    ]);
  });

  it('applies a heartbeat to both layouts for the memory after a change, and reads the old one until then', () => {
    const config = parseStreamShards(`hot=4,hot=16@${T}`);
    expect(writeLayouts(config, 'hot', T - 1, MEMORY)).toEqual([4]);
    expect(writeLayouts(config, 'hot', T, MEMORY)).toEqual([16, 4]);
    expect(writeLayouts(config, 'hot', T + MEMORY - 1, MEMORY)).toEqual([16, 4]);
    expect(writeLayouts(config, 'hot', T + MEMORY, MEMORY)).toEqual([16]);
    expect(readLayout(config, 'hot', T + MEMORY - 1, MEMORY)).toBe(4);
    expect(readLayout(config, 'hot', T + MEMORY, MEMORY)).toBe(16);
    const beat = { sessionId: 'a', orderingMs: T, receivedAtMs: T + 5, ended: false, withinTolerance: true };
    expect(bySubKey(config, 'hot', [beat], MEMORY).map((g) => g.subKey)).toEqual([
      { shards: 16, shard: sessionShard('a', 16) },
      { shards: 4, shard: sessionShard('a', 4) },
    ]);
  });

  it('has one announcer per stream: the consumer of its shard 0', () => {
    const config = parseStreamShards('hot=8');
    const sessions = Array.from({ length: 200 }, (_, i) => `s${i}`);
    const announcing = sessions.filter((s) => announcesCount(config, 'hot', s, 0));
    expect(announcing.length).toBeGreaterThan(0);
    for (const s of announcing) expect(sessionShard(s, 8)).toBe(0);
    expect(sessions.every((s) => announcesCount(config, 'cold', s, 0))).toBe(true);
  });
});
