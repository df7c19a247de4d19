/**
 * The other half of seed 000: the database was overloaded by a statement per heartbeat. History is written
 * per (stream, minute) per batch, behind the offset fence, and rolled up per hour and day from the minutes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Heartbeat } from '@tally/schemas';
import { TestClock, withAdmin } from '@tally/testkit';
import type { RunningAggregator } from '../src/service.js';
import { heartbeat, viewerWorld } from './fixtures/world.js';

const stack = inject('stack');
const hour = Date.UTC(2026, 10, 22, 14, 0, 0);
const clock = new TestClock(hour);
let world: Awaited<ReturnType<typeof viewerWorld>>;
let service: RunningAggregator;

beforeAll(async () => {
  world = await viewerWorld(stack, 'history', clock);
  service = await world.start();
});

afterAll(async () => {
  await world?.close();
});

async function history(from: number, to: number, granularity: string) {
  const response = await fetch(
    `http://127.0.0.1:${service.port}/v1/streams/show/viewers/history?from=${from}&to=${to}&granularity=${granularity}`,
  );
  return {
    status: response.status,
    body: (await response.json()) as {
      buckets: { start: string; peakConcurrent: number; uniqueViewers: number; heartbeats: number }[];
    },
  };
}

describe('viewer history', () => {
  it('keeps heartbeats, unique viewers and peak concurrency per minute, and rolls them up per hour and day', async () => {
    // minute 0: sessions a, b, c (a twice); minute 1: a and d; minute 61 (next hour): e
    const beats: Heartbeat[] = [
      heartbeat({ streamId: 'show', sessionId: 'a', seq: 0, atMs: hour + 1000 }),
      heartbeat({ streamId: 'show', sessionId: 'a', seq: 1, atMs: hour + 6000 }),
      heartbeat({ streamId: 'show', sessionId: 'b', seq: 0, atMs: hour + 2000 }),
      heartbeat({ streamId: 'show', sessionId: 'c', seq: 0, atMs: hour + 3000 }),
    ];
    clock.nowMs = hour + 10_000;
    await world.send(beats);
    await world.caughtUp();
    clock.nowMs = hour + 65_000;
    await world.send([
      heartbeat({ streamId: 'show', sessionId: 'a', seq: 2, atMs: hour + 61_000 }),
      heartbeat({ streamId: 'show', sessionId: 'd', seq: 0, atMs: hour + 62_000 }),
    ]);
    await world.caughtUp();
    clock.nowMs = hour + 3_605_000;
    await world.send([heartbeat({ streamId: 'show', sessionId: 'e', seq: 0, atMs: hour + 3_601_000 })]);
    await world.caughtUp();

    const minutes = await history(hour, hour + 2 * 3_600_000, 'minute');
    expect(minutes.status).toBe(200);
    expect(minutes.body.buckets.map((b) => [b.start, b.heartbeats, b.uniqueViewers])).toEqual([
      [new Date(hour).toISOString(), 4, 3],
      [new Date(hour + 60_000).toISOString(), 2, 2],
      [new Date(hour + 3_600_000).toISOString(), 1, 1],
    ]);
    // peak concurrency is observed when batches are applied: 3 in minute 0; 2 in minute 1 (a and d: b and c
    // beat last more than 30 s before)
    expect(minutes.body.buckets.slice(0, 2).map((b) => b.peakConcurrent)).toEqual([3, 2]);

    const hours = await history(hour, hour + 2 * 3_600_000, 'hour');
    expect(hours.body.buckets.map((b) => [b.heartbeats, b.uniqueViewers, b.peakConcurrent])).toEqual([
      [6, 4, 3],
      [1, 1, 1],
    ]);
    const days = await history(hour - 14 * 3_600_000, hour + 10 * 3_600_000, 'day');
    expect(days.body.buckets.map((b) => [b.start, b.heartbeats, b.uniqueViewers])).toEqual([
      [new Date(Date.UTC(2026, 10, 22)).toISOString(), 7, 5],
    ]);
  });

  it('adds nothing to history when the topic is replayed', async () => {
    const before = await history(hour, hour + 2 * 3_600_000, 'minute');
    // the same group, stopped and rewound to earliest: every heartbeat comes again, through the offset fence
    await service.close();
    await withAdmin(stack.brokers, (a) =>
      a.resetOffsets({ groupId: `${world.run}-group`, topic: world.topics.heartbeats, earliest: true }),
    );
    service = await world.start();
    await world.caughtUp();
    expect(await history(hour, hour + 2 * 3_600_000, 'minute')).toEqual(before);
  });

  it('rebuilt by replay into an empty state, equals the live history, peaks included', async () => {
    // more traffic for the peaks to be worth comparing: 12 sessions over three minutes, some ending early,
    // delivered shuffled with duplicates, including a session whose "ended" arrives after its later beats
    const from = hour + 7_200_000;
    let seed = 5;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const beats: Heartbeat[] = [];
    for (let s = 0; s < 12; s++) {
      const stop = 60_000 + s * 9000;
      for (let t = s * 700; t < stop; t += 5000)
        beats.push(heartbeat({ streamId: 'show', sessionId: `r${s}`, seq: 100 + t, atMs: from + t }));
      if (s % 3 === 0)
        beats.push(
          heartbeat({ streamId: 'show', sessionId: `r${s}`, seq: 100 + stop, atMs: from + stop, state: 'ENDED' }),
        );
    }
    clock.nowMs = from + 200_000;
    await world.send([...beats, ...beats.filter(() => random() < 0.3)].sort(() => random() - 0.5));
    await world.caughtUp();
    const range = [hour, hour + 3 * 3_600_000] as const;
    const live = await history(...range, 'minute');
    expect(live.body.buckets.some((b) => b.peakConcurrent >= 10)).toBe(true);

    const rebuilt = await world.start(`${world.run}-rebuild`, '-rebuild');
    await world.caughtUp(`${world.run}-rebuild`);
    for (const granularity of ['minute', 'hour', 'day']) {
      const read = async (port: number) =>
        (
          await fetch(
            `http://127.0.0.1:${port}/v1/streams/show/viewers/history?from=${range[0]}&to=${range[1]}&granularity=${granularity}`,
          )
        ).json();
      expect(await read(rebuilt.port), granularity).toEqual(await read(service.port));
    }
  });

  it('sets heartbeats later than the grace aside to the late topic, counted, and keeps them out of history', async () => {
    const minute = hour + 5 * 3_600_000;
    const before = await history(minute, minute + 60_000, 'minute');
    expect(before.body.buckets).toEqual([]);
    // received 11 minutes after its minute ended: the default grace is 10 minutes
    clock.nowMs = minute + 12 * 60_000;
    await world.send([
      heartbeat({
        streamId: 'show',
        sessionId: 'late',
        seq: 0,
        atMs: minute + 1000,
        receivedAtMs: minute + 11 * 60_000 + 1000,
      }),
      heartbeat({
        streamId: 'show',
        sessionId: 'in-time',
        seq: 0,
        atMs: minute + 2000,
        receivedAtMs: minute + 9 * 60_000,
      }),
    ]);
    await world.caughtUp();
    const after = await history(minute, minute + 60_000, 'minute');
    expect(after.body.buckets.map((b) => [b.heartbeats, b.uniqueViewers])).toEqual([[1, 1]]);
    const [late] = await world.lateRecords(1);
    expect(late).toMatchObject({
      reasonCode: 'AFTER_GRACE',
      windows: ['viewers.history.minute'],
      writeId: 'player-late:0',
      otherEffectsApplied: true,
      eventTimeMs: minute + 1000,
    });
    expect(late!.reason).toMatch(
      /received 10 min 1 s after its viewers.history.minute window ended; the window allows 10 min/,
    );
    const metrics = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
    expect(metrics).toMatch(/tally_late_records_total\{[^}]*reason="AFTER_GRACE"[^}]*\} 1/);
  });

  it('counts a late retry after 1,500 newer heartbeats of its source exactly once', async () => {
    const t0 = hour + 6 * 3_600_000;
    const beat = (seq: number) =>
      heartbeat({ streamId: 'show', sessionId: 'tv', source: 'tv-1', seq, atMs: t0 + seq * 10 });
    clock.nowMs = t0 + 60_000;
    await world.send(Array.from({ length: 1500 }, (_, i) => beat(i + 2)));
    await world.send([beat(1)]); // its first try got no answer; the retry comes after 1,500 newer ones
    await world.send([beat(1), beat(2)]); // and again, with a repeat of an old one
    await world.caughtUp();
    const { body } = await history(t0, t0 + 3_600_000, 'hour');
    expect(body.buckets.map((b) => b.heartbeats)).toEqual([1501]);
  });

  it('places a heartbeat from a clock never set (1970) at its receipt time', async () => {
    const received = hour + 7 * 3_600_000 + 30_000;
    clock.nowMs = received;
    await world.send([heartbeat({ streamId: 'epoch', sessionId: 'rtc', seq: 0, atMs: 0, receivedAtMs: received })]);
    await world.caughtUp();
    expect((await world.viewers(service, 'epoch')).concurrent).toBe(1);
    const response = await fetch(
      `http://127.0.0.1:${service.port}/v1/streams/epoch/viewers/history?from=${received - 60_000}&to=${received + 60_000}`,
    );
    const { buckets } = (await response.json()) as {
      buckets: { start: string; heartbeats: number; peakConcurrent: number }[];
    };
    expect(buckets).toEqual([
      { start: new Date(received - 30_000).toISOString(), heartbeats: 1, peakConcurrent: 1, uniqueViewers: 1 },
    ]);
  });

  it('answers bad ranges with 400 and the error shape', async () => {
    for (const query of [
      'from=5&to=1',
      'from=x&to=1',
      'to=1',
      `from=0&to=${100 * 86_400_000}&granularity=minute`,
      'from=0&to=1&granularity=week',
      'from=0&to=1&extra=1',
    ]) {
      const response = await fetch(`http://127.0.0.1:${service.port}/v1/streams/show/viewers/history?${query}`);
      expect(response.status, query).toBe(400);
      expect(Object.keys((await response.json()) as object).sort(), query).toEqual(['details', 'error', 'message']);
    }
  });
});
