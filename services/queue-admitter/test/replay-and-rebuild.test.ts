/**
 * Issue 17, the queue: the log is the truth. A queue run through joins, a second join, admissions, completes,
 * leaves (of a waiting and of an active ticket), a capacity lowered, expiries and a rejoin after completing:
 * - replaying the same group from the first record over the existing state changes nothing (the offset fence),
 *   publishes no event and admits nobody;
 * - a follower (QUEUE_ROLE=follower) with a fresh group, schema and Redis prefix rebuilds from the topic the
 *   same tickets, queue figures and HTTP answers as the live admitter, and publishes nothing.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningAdmitter } from '../src/service.js';
import { getJson, queueWorld, ticketIdOf } from './fixtures/world.js';

const stack = inject('stack');
// the admitter's clock runs with the real one (the commands carry real receipt times) and jumps ahead for expiries
const clock = { aheadMs: 0, now: () => Date.now() + clock.aheadMs };
let world: Awaited<ReturnType<typeof queueWorld>>;
let live: RunningAdmitter;

beforeAll(async () => {
  world = await queueWorld(stack, 'replay');
  live = await world.start(clock.now);
});

afterAll(async () => {
  await world?.close();
});

const SHOW = 'show';
const SIDE = 'side';
const show = (n: number) => ticketIdOf(n);
const side = (n: number) => ticketIdOf(100 + n);
const SECOND_JOIN = ticketIdOf(20);
const REJOIN = ticketIdOf(30);

/** Status of each ticket of a queue in Postgres, by id. */
const statuses = async (queueId: string) =>
  Object.fromEntries((await world.tickets(queueId)).map((t) => [t.ticket_id as string, t.status as string]));

async function until(what: string, probe: () => Promise<boolean>) {
  for (let i = 0; i < 400; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${what}`);
}

const waitFor = (queueId: string, expected: Record<string, string>) =>
  until(`${queueId} ${JSON.stringify(expected)}`, async () => {
    const now = await statuses(queueId);
    return Object.entries(expected).every(([id, status]) => now[id] === status);
  });

/** Everything Postgres holds of the queues, in one schema. */
async function rows(schema: string) {
  const q = (sql: string) => world.pool.query(sql).then((r) => r.rows);
  return {
    queues: await q(
      `SELECT queue_id, partition, capacity, active_seconds, admitted_total, active_count, admitted_through, clock_ms FROM ${schema}.queues ORDER BY queue_id`,
    ),
    tickets: await q(
      `SELECT queue_id, ticket_id, user_id, status, join_order, admitted_at_ms, expires_at_ms FROM ${schema}.tickets ORDER BY queue_id, join_order`,
    ),
    aliases: await q(
      `SELECT queue_id, ticket_id, live_ticket_id FROM ${schema}.ticket_aliases ORDER BY queue_id, ticket_id`,
    ),
  };
}

/**
 * An admission token by what it says: ES256 signatures are randomized and `iat` is the time of the read, so two
 * reads of one ticket never give the same string; its header and other claims are the same.
 */
function tokenContent(token: string) {
  const { iat: _readAt, ...claims } = decodeJwt(token);
  return { header: decodeProtectedHeader(token), claims };
}

/** What clients read: each queue's figures and every ticket (aliases included), as one service answers. */
async function reads(service: RunningAdmitter) {
  const base = `http://127.0.0.1:${service.port}`;
  const ids = {
    [SHOW]: [...Array.from({ length: 8 }, (_, i) => show(i)), SECOND_JOIN, REJOIN],
    [SIDE]: Array.from({ length: 4 }, (_, i) => side(i)),
  };
  const answers: Record<string, unknown> = {};
  for (const [queueId, tickets] of Object.entries(ids)) {
    // waits are worked out from the clock at the read (and a ticket's poll interval from its wait): the two reads
    // may straddle a second, so only their kind is compared
    const page = (await getJson<{ newcomerWaitSeconds: unknown }>(base, `/v1/queues/${queueId}`)).body;
    answers[queueId] = { ...page, newcomerWaitSeconds: typeof page.newcomerWaitSeconds };
    for (const id of tickets) {
      const read = (
        await getJson<{ admissionToken?: string; estimatedWaitSeconds: unknown; pollAfterSeconds: unknown }>(
          base,
          `/v1/queues/${queueId}/tickets/${id}`,
        )
      ).body;
      const ticket = {
        ...read,
        estimatedWaitSeconds: typeof read.estimatedWaitSeconds,
        pollAfterSeconds: typeof read.pollAfterSeconds,
      };
      answers[`${queueId}/${id}`] =
        ticket.admissionToken === undefined
          ? ticket
          : { ...ticket, admissionToken: tokenContent(ticket.admissionToken) };
    }
  }
  return answers;
}

describe('replaying and rebuilding the queue from its topic', () => {
  it('runs a queue live: admissions, completes, leaves, a lower capacity, expiries, a rejoin', async () => {
    await world.send([
      world.configure(SHOW, 3, 60),
      ...Array.from({ length: 8 }, (_, i) => world.join(SHOW, show(i), `u${i}`)),
      world.join(SHOW, SECOND_JOIN, 'u1'),
    ]);
    await waitFor(SHOW, { [show(0)]: 'active', [show(1)]: 'active', [show(2)]: 'active', [show(3)]: 'waiting' });

    // a complete and a leave of an active ticket (through the second join's alias) free slots; a leave of a waiting one does not
    await world.send([world.complete(SHOW, show(0)), world.leave(SHOW, show(4)), world.leave(SHOW, SECOND_JOIN)]);
    await waitFor(SHOW, {
      [show(0)]: 'completed',
      [show(1)]: 'left',
      [show(3)]: 'active',
      [show(4)]: 'left',
      [show(5)]: 'active',
      [show(6)]: 'waiting',
    });

    // capacity down to 1 with 2 active after this complete: nobody is admitted until enough have ended
    await world.send([world.configure(SHOW, 1, 30), world.complete(SHOW, show(2))]);
    await waitFor(SHOW, { [show(2)]: 'completed' });
    await world.caughtUp();
    await new Promise((r) => setTimeout(r, 300));
    expect((await statuses(SHOW))[show(6)]).toBe('waiting');

    // their time runs out: both expire, one slot, for 30 s
    clock.aheadMs += 61_000;
    await waitFor(SHOW, { [show(3)]: 'expired', [show(5)]: 'expired', [show(6)]: 'active', [show(7)]: 'waiting' });
    const admitted = (await world.tickets(SHOW)).find((t) => t.ticket_id === show(6))!;
    expect(Number(admitted.expires_at_ms) - Number(admitted.admitted_at_ms)).toBe(30_000);

    // a user who completed joins again and waits behind the line
    await world.send([world.join(SHOW, REJOIN, 'u0'), world.complete(SHOW, show(6))]);
    await waitFor(SHOW, { [show(6)]: 'completed', [show(7)]: 'active', [REJOIN]: 'waiting' });

    await world.send([
      world.configure(SIDE, 2, 60),
      ...Array.from({ length: 4 }, (_, i) => world.join(SIDE, side(i), `v${i}`)),
    ]);
    await waitFor(SIDE, { [side(0)]: 'active', [side(1)]: 'active' });
    await world.send([world.complete(SIDE, side(0))]);
    await waitFor(SIDE, { [side(0)]: 'completed', [side(2)]: 'active', [side(3)]: 'waiting' });
    await world.caughtUp();

    expect(await world.peakActive(SHOW)).toBeLessThanOrEqual(3);
    // 10 admissions, 4 completes, 2 leaves, 2 expiries
    await until('every event published', async () => (await world.eventCount()) === 18);
  });

  it('replays the same group from the first record over the existing state: nothing changes, nothing is published', async () => {
    const before = { rows: await rows(world.schema), reads: await reads(live), events: await world.eventCount() };
    await live.close();
    await world.rewind();
    live = await world.start(clock.now);
    await world.caughtUp();
    // rounds of the admission loop run over the replayed state
    await new Promise((r) => setTimeout(r, 500));
    expect(await rows(world.schema)).toEqual(before.rows);
    expect(await reads(live)).toEqual(before.reads);
    expect(await world.eventCount()).toBe(before.events);
    expect(await world.peakActive(SHOW)).toBeLessThanOrEqual(3);
  });

  it('rebuilds into an empty state with a follower beside the live admitter: the same tickets, figures and answers', async () => {
    const env = world.followerEnvironment('rebuild');
    const events = await world.eventCount();
    const follower = await world.start(clock.now, env);
    await world.caughtUp(env.CONSUMER_GROUP);
    await new Promise((r) => setTimeout(r, 300));

    expect(await rows(env.DB_SCHEMA)).toEqual(await rows(world.schema));
    expect(await reads(follower)).toEqual(await reads(live));
    // the rebuilt admissions are the live ones, to the millisecond, and a waiting ticket's estimate is the same
    const liveReads = await reads(live);
    expect(liveReads[`${SHOW}/${show(7)}`]).toMatchObject({ status: 'active' });
    expect(liveReads[`${SHOW}/${REJOIN}`]).toMatchObject({
      status: 'waiting',
      position: 0,
      estimatedWaitSeconds: 'number',
      pollAfterSeconds: 'number',
    });
    expect(liveReads[SHOW]).toMatchObject({ queueId: SHOW, waiting: 1, active: 1, capacity: 1, admittedTotal: 7 });
    // a follower proposes nothing and publishes nothing
    expect((await world.pool.query(`SELECT count(*)::int AS n FROM ${env.DB_SCHEMA}.event_outbox`)).rows[0].n).toBe(0);
    expect(await world.eventCount()).toBe(events);
  });
});
