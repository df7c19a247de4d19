/**
 * Sharded presence where it runs: the Redis script through ViewerStore, a hot stream's sub-keys against one key.
 * fast-check feeds the same heartbeats, duplicated and in any order, to a stream of n shards and to a stream of one
 * (each batch split the way the service splits it, sub-key by sub-key), and the counts must be equal after every
 * batch; then a timeline that changes a stream's shard count while its sessions are live, compared at every step
 * with a stream that never changed: exact before, during and after the change-over.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseStreamShards } from '@tally/contracts';
import { createRedis } from '@tally/storage';
import { uniqueName } from '@tally/testkit';
import { ViewerStore } from '../src/adapters/redis-viewers.js';
import { presenceBeat } from '../src/domain/viewers.js';

const stack = inject('stack');
const redis = createRedis(stack.redisUrl);
const WINDOW = 30_000;
const TOLERANCE = 60_000;
const t0 = Date.UTC(2026, 11, 4, 12, 0, 0);

afterAll(() => redis.disconnect());

const beatArb = fc.record({
  session: fc.integer({ min: 0, max: 30 }),
  orderingMs: fc.integer({ min: t0 - 60_000, max: t0 + 60_000 }),
  lagMs: fc.integer({ min: 0, max: 40_000 }),
  ended: fc.boolean(),
});

describe('a hot stream in Redis, shard by shard', () => {
  it('counts n shards exactly as one key, after every batch, for any heartbeats in any order, duplicated', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(beatArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 40, maxLength: 40 }),
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 1, max: 8 }),
        async (raw, order, shards, batchSize) => {
          const prefix = uniqueName('test:sharded');
          const sharded = new ViewerStore(redis, prefix, WINDOW, TOLERANCE, parseStreamShards(`hot${run}=${shards}`));
          const beats = raw.map((b) =>
            presenceBeat(
              {
                sessionId: `s${b.session}`,
                atMs: b.orderingMs,
                receivedAtMs: Math.max(b.orderingMs, t0 - 60_000) + b.lagMs,
                ended: b.ended,
              },
              TOLERANCE,
            ),
          );
          const delivered = [...beats, ...beats.filter((_, i) => order[i]! % 3 === 0)].sort(
            (x, y) => order[beats.indexOf(x)]! - order[beats.indexOf(y)]!,
          );
          const now = Math.max(...beats.map((b) => b.receivedAtMs)) + 1;
          for (let i = 0; i < delivered.length; i += batchSize) {
            const batch = delivered.slice(i, i + batchSize);
            const one = await sharded.apply(`cold${run}`, batch, now);
            expect(await sharded.apply(`hot${run}`, batch, now)).toBe(one);
          }
          for (const later of [now, now + 10_000, now + WINDOW + 1])
            expect(await sharded.currentViewers(`hot${run}`, later)).toBe(
              await sharded.currentViewers(`cold${run}`, later),
            );
          run++;
        },
      ),
      { numRuns: 150 },
    );
  });

  it('changes a live stream from 1 to 8 shards and from 8 to 3 without counting any session twice or losing one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4_999 }), { minLength: 20, maxLength: 20 }),
        fc.array(fc.nat({ max: 9 }), { minLength: 20, maxLength: 20 }),
        async (phase, fate) => {
          const up = t0 + 60_000;
          const down = up + 2 * (WINDOW + TOLERANCE);
          const config = parseStreamShards(`live=8@${up},live=3@${down}`);
          const store = new ViewerStore(redis, uniqueName('test:reshard'), WINDOW, TOLERANCE, config);
          // 20 sessions heartbeating every 5 s (each at its own phase) from t0 to past both changes; by its fate a
          // session leaves (ended), goes silent, or sends a duplicate now and then; batches of 1 s
          const end = down + WINDOW + TOLERANCE + 20_000;
          for (let second = t0; second < end; second += 1000) {
            const batch = fate.flatMap((f, s) => {
              const due = (second - t0 + phase[s]!) % 5000 < 1000;
              const left = f === 0 && second > up + 20_000 + s * 1000;
              const silent = f === 1 && second > down - 10_000 && second < down + 40_000;
              if (!due || silent || (left && second > up + 25_000 + s * 1000)) return [];
              const beat = presenceBeat(
                { sessionId: `s${s}`, atMs: second, receivedAtMs: second + 50, ended: left },
                TOLERANCE,
              );
              return f === 2 ? [beat, beat] : [beat];
            });
            const now = second + 999;
            expect(await store.apply('live', batch, now)).toBe(await store.apply('steady', batch, now));
            expect(await store.currentViewers('live', now)).toBe(await store.currentViewers('steady', now));
          }
        },
      ),
      { numRuns: 3 },
    );
  });
});
