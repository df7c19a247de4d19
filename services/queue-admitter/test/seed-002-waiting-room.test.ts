/**
 * Seed 002, question 1: a concert's waiting room (waiting, then active; at most 100 active; 3 minutes each).
 * The server admits, clients only poll, and each sees exactly how many people are ahead.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningAdmitter } from '../src/service.js';
import { getJson, queueWorld, ticketIdOf } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof queueWorld>>;
let service: RunningAdmitter;
let base: string;

beforeAll(async () => {
  world = await queueWorld(stack, 'waiting-room');
  service = await world.start();
  base = `http://127.0.0.1:${service.port}`;
});

afterAll(async () => {
  await world?.close();
});

interface TicketView {
  status: string;
  position: number;
  waitingTotal: number;
  estimatedWaitSeconds: number | null;
  admissionToken?: string;
}

const USERS = 10_000;
const CAPACITY = 100;

describe('seed 002: the concert waiting room', () => {
  it('10,000 users join a queue of 100: admitted in join order, never more than 100 active, positions exact and never growing', async () => {
    const queue = 'concert';
    await world.send([
      world.configure(queue, CAPACITY, 3600),
      ...Array.from({ length: USERS }, (_, i) => world.join(queue, ticketIdOf(i), `fan-${i}`)),
    ]);
    await world.caughtUp();

    const tracked = Array.from({ length: 20 }, (_, k) => k * 500 + 250);
    const lastPosition = new Map<number, number>();
    let admitted = 0;
    let maxActive = 0;
    for (let round = 0; admitted < USERS; round++) {
      expect(round, 'rounds').toBeLessThan(200);
      // wait for the admitter to fill the free slots
      let summary: { waiting: number; active: number; admittedTotal: number };
      for (;;) {
        summary = (await getJson<typeof summary>(base, `/v1/queues/${queue}`)).body;
        maxActive = Math.max(maxActive, summary.active);
        // the completions sent last round are in, and the next hundred admitted
        const expected = Math.min(USERS, (round + 1) * CAPACITY);
        if (summary.admittedTotal === expected && summary.active === expected - round * CAPACITY) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      admitted = summary.admittedTotal;
      // quiet now (every slot taken): each waiting tracked ticket has exactly (its place - admitted) ahead
      for (const i of tracked) {
        const { body } = await getJson<TicketView>(base, `/v1/queues/${queue}/tickets/${ticketIdOf(i)}`);
        if (i >= admitted) {
          expect(body, `ticket ${i} after ${admitted} admitted`).toMatchObject({
            status: 'waiting',
            position: i - admitted,
            waitingTotal: USERS - admitted,
          });
          expect(body.position).toBeLessThanOrEqual(lastPosition.get(i) ?? Infinity);
          lastPosition.set(i, body.position);
        } else {
          expect(['active', 'completed']).toContain(body.status);
        }
      }
      // the admitted users finish their booking
      const active = (
        await world.pool.query(
          `SELECT ticket_id FROM ${world.schema}.tickets WHERE queue_id = $1 AND status = 'active'`,
          [queue],
        )
      ).rows;
      await world.send(active.map((r) => world.complete(queue, r.ticket_id)));
    }
    expect(maxActive).toBe(CAPACITY);

    const tickets = await world.tickets(queue);
    expect(tickets).toHaveLength(USERS);
    expect(tickets.map((t) => t.ticket_id)).toEqual(Array.from({ length: USERS }, (_, i) => ticketIdOf(i)));
    // admission order is join order: admission times never go back along the line
    const times = tickets.map((t) => Number(t.admitted_at_ms));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    // and never more than 100 at once
    expect(await world.peakActive(queue)).toBeLessThanOrEqual(CAPACITY);
  });
});
