/**
 * The waiting room's settings against the real broker, Postgres and Redis: a wait estimate that comes true,
 * admitPerMinute bounding outflow, abandonment freeing a place, a pre-queue opened in a drawn order that a
 * replay reproduces, and a pause that keeps the order.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningAdmitter } from '../src/service.js';
import { getJson, queueWorld, ticketIdOf } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof queueWorld>>;
let service: RunningAdmitter;
let base: string;

beforeAll(async () => {
  world = await queueWorld(stack, 'room-settings');
  service = await world.start();
  base = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await world?.close();
});

interface TicketView {
  status: string;
  position: number | null;
  waitingTotal: number;
  estimatedWaitSeconds: number | null;
  opensAt?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ticketOf = (queue: string, id: string) => getJson<TicketView>(base, `/v1/queues/${queue}/tickets/${id}`);

/** Polls until the ticket is readable (the admitter applied its join). */
async function firstRead(queue: string, id: string): Promise<TicketView> {
  for (let i = 0; i < 300; i++) {
    const { status, body } = await ticketOf(queue, id);
    if (status === 200) return body;
    await sleep(20);
  }
  throw new Error(`ticket ${id} never became readable`);
}

/** The statuses of a queue's tickets in Postgres, by ticket id. */
async function statuses(queue: string): Promise<Map<string, string>> {
  return new Map((await world.tickets(queue)).map((t) => [t.ticket_id as string, t.status as string]));
}

describe('a waiting room people can trust', () => {
  it('capacity 2, 4 s each, 10 joins: the last ticket’s first estimate is within 25% of the wait it had', async () => {
    const queue = 'estimate';
    await world.send([
      world.configure(queue, 2, 4),
      ...Array.from({ length: 10 }, (_, i) => world.join(queue, ticketIdOf(1000 + i), `fan-${i}`)),
    ]);
    const last = ticketIdOf(1009);
    const first = await firstRead(queue, last);
    const startedAt = Date.now();
    expect(first.status).toBe('waiting');
    expect(typeof first.estimatedWaitSeconds).toBe('number');
    for (;;) {
      const { body } = await ticketOf(queue, last);
      if (body.status === 'active') break;
      // the estimate stays a number while it waits
      expect(typeof body.estimatedWaitSeconds).toBe('number');
      expect(Date.now() - startedAt).toBeLessThan(60_000);
      await sleep(100);
    }
    const waitedSeconds = (Date.now() - startedAt) / 1000;
    const error = Math.abs(first.estimatedWaitSeconds! - waitedSeconds) / waitedSeconds;
    expect(
      error,
      `estimated ${first.estimatedWaitSeconds} s, waited ${waitedSeconds.toFixed(1)} s`,
    ).toBeLessThanOrEqual(0.25);
  });

  it('admitPerMinute bounds outflow: with many waiting and room for all, no 60 s holds more than it', async () => {
    const queue = 'paced';
    const perMinute = 40;
    await world.send([
      world.configure(queue, 1000, 600, { admitPerMinute: perMinute }),
      ...Array.from({ length: 200 }, (_, i) => world.join(queue, ticketIdOf(2000 + i), `pacer-${i}`)),
    ]);
    await world.caughtUp();
    const page = (await getJson<Record<string, unknown>>(base, `/v1/queues/${queue}`)).body;
    expect(page).toMatchObject({ admitPerMinute: perMinute, outflowPerMinute: perMinute, state: 'open' });
    await sleep(62_000);
    const times = (await world.tickets(queue))
      .map((t) => t.admitted_at_ms)
      .filter((t) => t !== null)
      .map(Number)
      .sort((a, b) => a - b);
    // the bound is used (a minute's worth, then more as the first minute rolls off) and never exceeded
    expect(times.length).toBeGreaterThanOrEqual(perMinute);
    expect(times.length).toBeLessThan(2 * perMinute + 1);
    for (const start of times) {
      expect(times.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(perMinute);
    }
  }, 90_000);

  it('abandonment frees a place: a ticket not seen for abandonSeconds is dropped, and the one behind moves up', async () => {
    const queue = 'abandon';
    const [holder, ghost, watcher] = [ticketIdOf(3000), ticketIdOf(3001), ticketIdOf(3002)];
    await world.send([
      world.configure(queue, 1, 3600, { abandonSeconds: 2 }),
      world.join(queue, holder, 'holder'),
      world.join(queue, ghost, 'ghost'),
      world.join(queue, watcher, 'watcher'),
    ]);
    await firstRead(queue, watcher);
    for (let i = 0; i < 100 && (await ticketOf(queue, holder)).body.status !== 'active'; i++) await sleep(50);
    expect((await ticketOf(queue, watcher)).body.position).toBe(1);
    // the watcher keeps reading (being seen); the ghost closed the tab
    let position: number | null = 1;
    for (let i = 0; i < 100 && position !== 0; i++) {
      await sleep(100);
      position = (await ticketOf(queue, watcher)).body.position;
    }
    expect(position).toBe(0);
    expect((await ticketOf(queue, ghost)).body.status).toBe('abandoned');
    // the slot frees: the watcher is admitted, never the ghost
    await world.send([world.complete(queue, holder)]);
    for (let i = 0; i < 100 && (await ticketOf(queue, watcher)).body.status !== 'active'; i++) await sleep(50);
    expect(await statuses(queue)).toEqual(
      new Map([
        [holder, 'completed'],
        [ghost, 'abandoned'],
        [watcher, 'active'],
      ]),
    );
  });

  it('a pre-queue opens in a drawn order, ahead of later joins, and a replay draws the same order', async () => {
    const queue = 'pre-queue';
    const opensAtMs = Date.now() + 4000;
    const early = Array.from({ length: 40 }, (_, i) => ticketIdOf(4000 + i));
    await world.send([
      world.configure(queue, 100, 3600, { opensAtMs }),
      ...early.map((id, i) => world.join(queue, id, `early-${i}`, opensAtMs - 3000 + i)),
    ]);
    const before = await firstRead(queue, early[0]!);
    expect(before).toMatchObject({ status: 'waiting', position: null, opensAt: opensAtMs });
    expect(before.estimatedWaitSeconds).toBeGreaterThanOrEqual(2);
    expect((await getJson<{ state: string }>(base, `/v1/queues/${queue}`)).body.state).toBe('pre-queue');
    // nobody is admitted before the opening
    await sleep(1000);
    expect([...(await statuses(queue)).values()].every((s) => s === 'waiting')).toBe(true);
    await sleep(Math.max(0, opensAtMs - Date.now()) + 200);
    const late = ticketIdOf(4999);
    await world.send([world.join(queue, late, 'late')]);
    await world.caughtUp();
    for (let i = 0; i < 100 && (await ticketOf(queue, late)).body.status !== 'active'; i++) await sleep(50);

    const tickets = await world.tickets(queue);
    const order = tickets.map((t) => t.ticket_id as string);
    // everyone is in (capacity 100); the late join is behind the whole pre-queue; the pre-queue is not in arrival order
    expect(tickets.every((t) => t.status === 'active')).toBe(true);
    expect(order.at(-1)).toBe(late);
    expect(order.slice(0, -1)).not.toEqual(early);
    expect([...order.slice(0, -1)].sort()).toEqual([...early].sort());
    // admitted in that order
    const times = tickets.map((t) => Number(t.admitted_at_ms));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);

    // a replay from the topic (another deployment: its own group, schema and prefix) draws the same order
    const follower = await world.start(undefined, world.followerEnvironment('replay'));
    await world.caughtUp(world.followerEnvironment('replay').CONSUMER_GROUP);
    const { rows } = await world.pool.query(
      `SELECT ticket_id, join_order FROM ${world.schema}_replay.tickets WHERE queue_id = $1 ORDER BY join_order`,
      [queue],
    );
    expect(rows.map((r) => [r.ticket_id, Number(r.join_order)])).toEqual(
      tickets.map((t) => [t.ticket_id, Number(t.join_order)]),
    );
    await follower.close();
  });

  it('a pause admits nobody and keeps the order; resuming admits the front of the line', async () => {
    const queue = 'pause';
    const line = Array.from({ length: 5 }, (_, i) => ticketIdOf(5000 + i));
    await world.send([
      world.configure(queue, 2, 3600, { paused: true }),
      ...line.map((id, i) => world.join(queue, id, `p-${i}`)),
    ]);
    expect((await firstRead(queue, line[4]!)).position).toBe(4);
    expect((await getJson<{ state: string }>(base, `/v1/queues/${queue}`)).body.state).toBe('paused');
    await sleep(1000);
    expect([...(await statuses(queue)).values()].every((s) => s === 'waiting')).toBe(true);
    await world.send([world.configure(queue, 2, 3600, { paused: false })]);
    for (let i = 0; i < 100 && (await ticketOf(queue, line[1]!)).body.status !== 'active'; i++) await sleep(50);
    expect([...(await statuses(queue)).entries()].sort()).toEqual(
      line.map((id, i) => [id, i < 2 ? 'active' : 'waiting']),
    );
    expect((await ticketOf(queue, line[4]!)).body.position).toBe(2);
  });
});
