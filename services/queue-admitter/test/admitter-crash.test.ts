/**
 * The admitter killed with SIGKILL while admitting, and another instance started: no ticket lost, the bound
 * kept, the order kept.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startServiceProcess } from '@tally/testkit';
import { queueWorld, ticketIdOf } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof queueWorld>>;

beforeAll(async () => {
  world = await queueWorld(stack, 'admitter-crash');
});

afterAll(async () => {
  await world?.close();
});

const USERS = 600;
const CAPACITY = 20;

describe('queue-admitter crash', () => {
  it('SIGKILL while admitting, then another instance: every ticket admitted once, in order, never beyond capacity', async () => {
    const q = 'flash-sale';
    // admissions last 1 s, so the line moves by expiry alone: about 20 tickets a second
    await world.send([
      world.configure(q, CAPACITY, 1),
      ...Array.from({ length: USERS }, (_, i) => world.join(q, ticketIdOf(i), `buyer-${i}`)),
    ]);
    const first = await startServiceProcess('queue-admitter', world.environment());
    const admittedCount = async () =>
      Number(
        (
          await world.pool.query(
            `SELECT count(*) FROM ${world.schema}.tickets WHERE queue_id = $1 AND admitted_at_ms IS NOT NULL`,
            [q],
          )
        ).rows[0].count,
      );
    expect(await eventually(async () => (await admittedCount()) >= 60, 60_000, 50)).toBe(true);
    await first.stop('SIGKILL');
    expect(await admittedCount()).toBeLessThan(USERS);

    const second = await startServiceProcess('queue-admitter', world.environment());
    try {
      expect(await eventually(async () => (await admittedCount()) === USERS, 120_000, 200)).toBe(true);
      const tickets = await world.tickets(q);
      expect(tickets).toHaveLength(USERS);
      const times = tickets.map((t) => Number(t.admitted_at_ms));
      expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
      expect(await world.peakActive(q)).toBeLessThanOrEqual(CAPACITY);
    } finally {
      await second.stop('SIGTERM');
    }
  });
});
