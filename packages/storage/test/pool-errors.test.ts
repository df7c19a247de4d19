/**
 * Connections that die under a pool (what a Postgres restart does to every service at once): the process
 * lives on, the work in flight fails, and the next query gets a new connection. Each test ends only its own
 * backend (pg_terminate_backend of its own pid), never the shared server.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPool, inTransaction } from '../src/index.js';

const stack = inject('stack');
const pool = createPool(stack.databaseUrl, 2);
const killer = createPool(stack.databaseUrl, 1);

afterAll(async () => {
  await pool.end();
  await killer.end();
});

const terminate = (pid: number) => killer.query('SELECT pg_terminate_backend($1)', [pid]);
const pidOf = async (db: { query: typeof pool.query }) =>
  Number((await db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe('a pool whose connections die', () => {
  it('survives the death of a connection checked out for a transaction, and fails only that transaction', async () => {
    await expect(
      inTransaction(pool, async (db) => {
        await terminate(await pidOf(db));
        // the client emits 'error' while checked out; unhandled, that event used to end the process here
        await settle();
        await db.query('SELECT 1');
      }),
    ).rejects.toThrow(/terminat|not queryable/i);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('survives the death of an idle connection, and the next query gets a new one', async () => {
    const pid = await pidOf(pool);
    await terminate(pid);
    // the pool emits 'error' for its idle client; unhandled, that event used to end the process here
    await settle();
    expect(await pidOf(pool)).not.toBe(pid);
  });
});
