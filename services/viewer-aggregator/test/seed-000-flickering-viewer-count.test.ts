/**
 * Seed 000: with five players the naive count flickered between 4 and 5, because heartbeats delivered out of
 * order were dropped. Here five players beat every 5 s for a minute of simulated time, delivered shuffled and
 * with duplicates, and every poll must read exactly 5; after they stop, 0 within the window.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Heartbeat } from '@tally/schemas';
import type { RunningAggregator } from '../src/service.js';
import { TestClock } from '@tally/testkit';
import { heartbeat, viewerWorld } from './fixtures/world.js';

const stack = inject('stack');
const start = Date.UTC(2026, 10, 22, 12, 0, 0);
const clock = new TestClock(start);
let world: Awaited<ReturnType<typeof viewerWorld>>;
let service: RunningAggregator;

beforeAll(async () => {
  world = await viewerWorld(stack, 'flicker', clock);
  service = await world.start();
});

afterAll(async () => {
  await world?.close();
});

describe('seed 000: a viewer count that flickers', () => {
  it('reads exactly 5 at every poll for a minute of shuffled, duplicated heartbeats, then 0 within the window', async () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const players = ['p1', 'p2', 'p3', 'p4', 'p5'];
    const seqs = new Map(players.map((p) => [p, 0]));
    const polls: number[] = [];
    let pending: Heartbeat[] = [];
    for (let t = 0; t <= 60_000; t += 1000) {
      // each player beats every 5 s, at its own phase within the period
      players.forEach((p, i) => {
        if ((t - i * 1000) % 5000 === 0) {
          const seq = seqs.get(p)!;
          seqs.set(p, seq + 1);
          pending.push(heartbeat({ streamId: 'concert', sessionId: p, seq, atMs: start + t, positionMs: t }));
        }
      });
      // delivery: every 3 s, what is pending goes out shuffled, some of it twice
      if (t % 3000 === 0) {
        const deliveries = [...pending, ...pending.filter(() => random() < 0.4)].sort(() => random() - 0.5);
        await world.send(deliveries);
        pending = [];
        await world.caughtUp();
        clock.nowMs = start + t;
        polls.push((await world.viewers(service, 'concert')).concurrent);
      }
    }
    expect(polls.length).toBe(21);
    // the first poll comes before all five have beaten once; from then on it must be exactly 5
    expect(polls.slice(2)).toEqual(Array(polls.length - 2).fill(5));

    // the players stop: within the 30 s window after their last beat the count reaches 0
    clock.nowMs = start + 60_000 + 30_001;
    expect((await world.viewers(service, 'concert')).concurrent).toBe(0);
  });

  it('removes an ended session at once, and a late older heartbeat does not bring it back', async () => {
    clock.nowMs = start + 200_000;
    const at = clock.nowMs;
    await world.send([
      heartbeat({ streamId: 'talk', sessionId: 'a', seq: 0, atMs: at - 2000 }),
      heartbeat({ streamId: 'talk', sessionId: 'b', seq: 0, atMs: at - 2000 }),
    ]);
    await world.caughtUp();
    expect((await world.viewers(service, 'talk')).concurrent).toBe(2);
    await world.send([heartbeat({ streamId: 'talk', sessionId: 'a', seq: 1, atMs: at - 1000, state: 'ENDED' })]);
    await world.caughtUp();
    expect((await world.viewers(service, 'talk')).concurrent).toBe(1);
    await world.send([heartbeat({ streamId: 'talk', sessionId: 'a', seq: 2, atMs: at - 1500 })]); // older than the end
    await world.caughtUp();
    expect((await world.viewers(service, 'talk')).concurrent).toBe(1);
  });

  it('counts three players with clocks 60 s behind, 45 s ahead and right as exactly 3, steadily, by the receipt time', async () => {
    const from = start + 400_000;
    const skews = { behind: -60_000, ahead: 45_000, right: 0 };
    const polls: number[] = [];
    for (let t = 0; t <= 120_000; t += 5000) {
      clock.nowMs = from + t;
      await world.send(
        Object.entries(skews).map(([player, skew]) =>
          heartbeat({
            streamId: 'skew',
            sessionId: player,
            seq: t / 5000,
            atMs: from + t + skew,
            receivedAtMs: from + t,
          }),
        ),
      );
      await world.caughtUp();
      polls.push((await world.viewers(service, 'skew')).concurrent);
      clock.nowMs = from + t + 4999; // just before the next beat
      polls.push((await world.viewers(service, 'skew')).concurrent);
    }
    expect(polls).toEqual(Array(polls.length).fill(3));
    // they stop: 30 s after the last receipt (not after their clocks say) everyone is gone
    clock.nowMs = from + 120_000 + 29_999;
    expect((await world.viewers(service, 'skew')).concurrent).toBe(3);
    clock.nowMs = from + 120_000 + 30_001;
    expect((await world.viewers(service, 'skew')).concurrent).toBe(0);
  });

  it('does not let a retry of a heartbeat from long ago make a session present', async () => {
    clock.nowMs = start + 600_000;
    const received = clock.nowMs;
    await world.send([
      heartbeat({ streamId: 'retry', sessionId: 'gone', seq: 7, atMs: received - 15 * 60_000, receivedAtMs: received }),
    ]);
    await world.caughtUp();
    expect((await world.viewers(service, 'retry')).concurrent).toBe(0);
  });

  it('orders a clock never set by its own ticking: a retry of its old heartbeat neither extends nor revives a session', async () => {
    const r0 = start + 800_000;
    clock.nowMs = r0;
    await world.send([heartbeat({ streamId: 'rtc', sessionId: 'box', seq: 0, atMs: 5000, receivedAtMs: r0 })]); // 1970, 5 s after boot
    await world.caughtUp();
    expect((await world.viewers(service, 'rtc')).concurrent).toBe(1);
    clock.nowMs = r0 + 20_000;
    await world.send([heartbeat({ streamId: 'rtc', sessionId: 'box', seq: 0, atMs: 5000, receivedAtMs: r0 + 20_000 })]); // the same one, retried
    await world.caughtUp();
    clock.nowMs = r0 + 30_001;
    expect((await world.viewers(service, 'rtc')).concurrent).toBe(0); // presence rests on its first receipt
    await world.send([
      heartbeat({ streamId: 'rtc', sessionId: 'box', seq: 1, atMs: 9000, receivedAtMs: r0 + 30_001, state: 'ENDED' }),
    ]);
    await world.send([heartbeat({ streamId: 'rtc', sessionId: 'box', seq: 0, atMs: 5000, receivedAtMs: r0 + 31_000 })]); // retried after the end
    await world.caughtUp();
    clock.nowMs = r0 + 31_000;
    expect((await world.viewers(service, 'rtc')).concurrent).toBe(0);
    await world.send([
      heartbeat({ streamId: 'rtc', sessionId: 'box', seq: 2, atMs: 40_000, receivedAtMs: r0 + 32_000 }),
    ]); // it plays again
    await world.caughtUp();
    expect((await world.viewers(service, 'rtc')).concurrent).toBe(1);
  });

  it('clamps a future client clock to the receipt time, so it cannot pin a viewer', async () => {
    clock.nowMs = start + 300_000;
    const received = clock.nowMs;
    await world.send([
      heartbeat({ streamId: 'clock', sessionId: 'skewed', seq: 0, atMs: received + 3_600_000, receivedAtMs: received }),
    ]);
    await world.caughtUp();
    expect((await world.viewers(service, 'clock')).concurrent).toBe(1);
    clock.nowMs = received + 30_001;
    expect((await world.viewers(service, 'clock')).concurrent).toBe(0);
  });
});
