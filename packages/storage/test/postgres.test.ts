import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueName } from '@tally/testkit';
import { createPool, inTransaction, migrate } from '../src/index.js';

const stack = inject('stack');
const pool = createPool(stack.databaseUrl);
const schema = uniqueName('migrate').replace(/-/g, '_');
const dir = fileURLToPath(new URL('./migrations', import.meta.url));

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

describe('Postgres', () => {
  it('migrates a service schema once, creating the schema, and again does nothing', async () => {
    expect(await migrate({ databaseUrl: stack.databaseUrl, schema, dir })).toEqual([
      '1700000000000_totals',
      '1700000000001_applied-offsets',
    ]);
    expect(await migrate({ databaseUrl: stack.databaseUrl, schema, dir })).toEqual([]);
    const { rows } = await pool.query(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
      [schema],
    );
    expect(rows.map((r) => r.table_name)).toEqual(['applied_offsets', 'pgmigrations', 'totals']);
  });

  it('applies a batch in one transaction: all of it, or none of it', async () => {
    await inTransaction(pool, async (db) => {
      await db.query(`INSERT INTO ${schema}.totals (item_id, total) SELECT * FROM unnest($1::text[], $2::bigint[])`, [
        ['a', 'b'],
        [1, 2],
      ]);
    });
    await expect(
      inTransaction(pool, async (db) => {
        await db.query(`UPDATE ${schema}.totals SET total = total + 10`);
        await db.query(`INSERT INTO ${schema}.totals (item_id, total) VALUES ($1, $2)`, ['a', 5]); // duplicate key
      }),
    ).rejects.toThrow(/duplicate key/);
    const { rows } = await pool.query(`SELECT item_id, total FROM ${schema}.totals ORDER BY item_id`);
    expect(rows).toEqual([
      { item_id: 'a', total: 1 },
      { item_id: 'b', total: 2 },
    ]);
  });

  it('runs a transaction at the isolation level asked for, read-only if asked', async () => {
    const level = (options?: Parameters<typeof inTransaction>[2]) =>
      inTransaction(
        pool,
        async (db) => (await db.query('SHOW transaction_isolation')).rows[0]!.transaction_isolation as string,
        options,
      );
    expect(await level()).toBe('read committed');
    expect(await level({ isolation: 'REPEATABLE READ', readOnly: true })).toBe('repeatable read');
    expect(await level({ isolation: 'SERIALIZABLE' })).toBe('serializable');
    await expect(
      inTransaction(pool, (db) => db.query(`UPDATE ${schema}.totals SET total = 0`), { readOnly: true }),
    ).rejects.toThrow(/read-only transaction/);
  });

  it("keeps the history of another set of migrations in its own table, beside the service's", async () => {
    const other = fileURLToPath(new URL('./migrations-of-a-package', import.meta.url));
    expect(
      await migrate({ databaseUrl: stack.databaseUrl, schema, dir: other, table: 'pgmigrations_package' }),
    ).toEqual(['1600000000000_package-table']);
    expect(await migrate({ databaseUrl: stack.databaseUrl, schema, dir })).toEqual([]);
    const { rows } = await pool.query(`SELECT name FROM ${schema}.pgmigrations_package`);
    expect(rows).toEqual([{ name: '1600000000000_package-table' }]);
  });
});
