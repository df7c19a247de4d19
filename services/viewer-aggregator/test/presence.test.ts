/**
 * The live-viewer rule where it runs: the Redis script itself (adapters/lua/apply-heartbeats.lua, through the
 * service's ViewerStore), fed by the service's own TypeScript half of the rule (presenceBeat: may a heartbeat
 * make its session present?), held by fast-check to the rule written from its statement (fixtures/presence-rule.ts)
 * on random heartbeats: any order and duplication at one moment, and whole timelines of sends, client retries,
 * Kafka redeliveries, reorderings, expiries, steps of the server's clock and of the players' own clocks.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createRedis } from '@tally/storage';
import { uniqueName } from '@tally/testkit';
import { ViewerStore } from '../src/adapters/redis-viewers.js';
import { presenceBeat, type PresenceBeat } from '../src/domain/viewers.js';
import { PresenceRule, viewersOf } from './fixtures/presence-rule.js';

const stack = inject('stack');
const redis = createRedis(stack.redisUrl);
const WINDOW = 30_000;
const TOLERANCE = 600_000;
const store = new ViewerStore(redis, uniqueName('test:presence'), WINDOW, TOLERANCE);
const t0 = Date.UTC(2026, 11, 4, 12, 0, 0);

afterAll(() => redis.disconnect());

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
          const beats = raw.map((b) =>
            presenceBeat(
              {
                sessionId: b.sessionId,
                atMs: b.orderingMs,
                receivedAtMs: Math.max(b.orderingMs, t0 - 60_000) + b.lagMs,
                ended: b.ended,
              },
              TOLERANCE,
            ),
          );
          const now = Math.max(...beats.map((b) => b.receivedAtMs)) + 1;
          const shuffled = [...beats, ...beats.filter((_, i) => order[i]! % 2 === 0)].sort(
            (x, y) => order[beats.indexOf(x)]! - order[beats.indexOf(y)]!,
          );
          const stream = `s${run++}`;
          let count = 0;
          // delivered in batches of two, in the shuffled order
          for (let i = 0; i < shuffled.length; i += 2) count = await store.apply(stream, shuffled.slice(i, i + 2), now);
          expect(count).toBe(viewersOf(beats, now, WINDOW));
          expect(await store.currentViewers(stream, now + WINDOW + 1)).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A player's clock: right, behind or ahead by `offsetMs`, or never set (it reads ms since its boot). */
interface PlayerClock {
  neverSet: boolean;
  offsetMs: number;
}

const readClock = (clock: PlayerClock, trueMs: number) =>
  clock.neverSet ? clock.offsetMs + (trueMs - t0) : trueMs + clock.offsetMs;

const clockArb: fc.Arbitrary<PlayerClock> = fc.oneof(
  fc.constant({ neverSet: false, offsetMs: 0 }),
  // behind (up to 15 min: beyond the tolerance too) or ahead (up to an hour)
  fc.integer({ min: -900_000, max: 3_600_000 }).map((offsetMs) => ({ neverSet: false, offsetMs })),
  fc.integer({ min: 0, max: 86_400_000 }).map((offsetMs) => ({ neverSet: true, offsetMs })),
);

/** What happens next: a player sends, a client retries, Kafka redelivers, time passes, or the consumer applies a batch. */
type Step =
  | { kind: 'send'; player: number; ended: boolean; delayMs: number }
  | { kind: 'retry'; pick: number; delayMs: number }
  | { kind: 'redeliver'; pick: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'clock-step'; player: number; clock: PlayerClock }
  | { kind: 'apply'; picks: number[] };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      player: fc.nat(3),
      ended: fc.nat(5).map((n) => n === 0),
      delayMs: fc.nat(3000),
    }),
  },
  // a client that got no answer sends the same heartbeat again, received later (at times much later)
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('retry' as const),
      pick: fc.nat(),
      delayMs: fc.oneof(fc.nat(20_000), fc.nat(1_500_000)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), pick: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('tick' as const),
      // the server's clock steps: within the window, past it, and past the rule's memory (window + tolerance)
      ms: fc.oneof(
        { weight: 6, arbitrary: fc.nat(5000) },
        { weight: 3, arbitrary: fc.integer({ min: 5000, max: 60_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 600_000, max: 1_500_000 }) },
      ),
    }),
  },
  // a player's clock jumps (set by NTP after boot, corrected back from running ahead, ...)
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('clock-step' as const), player: fc.nat(3), clock: clockArb }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('apply' as const),
      picks: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
    }),
  },
);

/** Plays the steps against the script and the rule side by side; returns one line per batch where they differ. */
async function playTimeline(stream: string, clocks: PlayerClock[], steps: Step[]): Promise<string[]> {
  const rule = new PresenceRule(WINDOW, TOLERANCE);
  let now = t0;
  const sent: PresenceBeat[] = [];
  const pending: PresenceBeat[] = [];
  const delivered: PresenceBeat[] = [];
  const differences: string[] = [];
  const send = (sessionId: string, atMs: number, receivedAtMs: number, ended: boolean) =>
    presenceBeat({ sessionId, atMs, receivedAtMs, ended }, TOLERANCE);
  for (const step of steps) {
    if (step.kind === 'send') {
      const beat = send(`p${step.player}`, readClock(clocks[step.player]!, now), now + step.delayMs, step.ended);
      sent.push(beat);
      pending.push(beat);
    } else if (step.kind === 'retry' && sent.length > 0) {
      const beat = sent[step.pick % sent.length]!;
      pending.push(send(beat.sessionId, beat.orderingMs, now + step.delayMs, beat.ended));
    } else if (step.kind === 'redeliver' && delivered.length > 0) {
      pending.push(delivered[step.pick % delivered.length]!);
    } else if (step.kind === 'tick') {
      now += step.ms;
    } else if (step.kind === 'clock-step') {
      clocks[step.player] = step.clock;
    } else if (step.kind === 'apply') {
      // the consumer takes some of what the gateway has received by now, in any order
      const batch: PresenceBeat[] = [];
      for (const pick of step.picks) {
        const ready = pending.filter((b) => b.receivedAtMs <= now);
        if (ready.length === 0) break;
        const beat = ready[pick % ready.length]!;
        pending.splice(pending.indexOf(beat), 1);
        batch.push(beat);
      }
      delivered.push(...batch);
      const counted = await store.apply(stream, batch, now);
      const read = await store.currentViewers(stream, now);
      const expected = rule.deliver(batch, now);
      if (counted !== expected || read !== expected)
        differences.push(`at +${now - t0} ms: script counted ${counted}, read ${read}; the rule says ${expected}`);
    }
  }
  return differences;
}

describe('presence over time, by the Lua script in Redis', () => {
  it('counts as the rule says after every batch of a timeline of sends, retries, redeliveries, clock steps and expiries', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(clockArb, { minLength: 4, maxLength: 4 }),
        fc.array(stepArb, { minLength: 30, maxLength: 90 }),
        async (clocks, steps) => {
          expect(await playTimeline(`timeline-${run++}`, [...clocks], steps)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});
