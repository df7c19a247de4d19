import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool, inTransaction, migrate } from '@tally/storage';
import { uniqueName } from '@tally/testkit';
import {
  advancePostgresFence,
  advancePostgresFences,
  offsetFenceMigrations,
  readPostgresFence,
  readPostgresFences,
} from '../src/index.js';

const stack = inject('stack');
const pool = createPool(stack.databaseUrl);
const schema = uniqueName('fence').replace(/-/g, '_');
const fence = { group: 'g', topic: 't', partition: 0 };

beforeAll(async () => {
  await migrate({ databaseUrl: stack.databaseUrl, schema, ...offsetFenceMigrations });
  await pool.query(`CREATE TABLE ${schema}.totals (id int PRIMARY KEY, total bigint)`);
  await pool.query(`INSERT INTO ${schema}.totals VALUES (1, 0)`);
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
});

/** A batch applies only its records past the fence, and moves the fence in the same transaction. */
async function applyBatch(offsets: number[], failAfterWrite = false): Promise<void> {
  await inTransaction(pool, async (db) => {
    const applied = await readPostgresFence(db, schema, fence);
    const fresh = offsets.filter((o) => o > applied);
    await db.query(`UPDATE ${schema}.totals SET total = total + $1 WHERE id = 1`, [fresh.length]);
    if (failAfterWrite) throw new Error('crash between the state change and the commit');
    await advancePostgresFence(db, schema, fence, Math.max(applied, ...offsets));
  });
}

describe('the Postgres offset fence', () => {
  it('skips records already applied and rolls back with the state', async () => {
    await applyBatch([0, 1, 2]);
    await applyBatch([1, 2, 3, 4]); // a redelivery overlapping the last batch
    await expect(applyBatch([5, 6], true)).rejects.toThrow(/crash/);
    await applyBatch([5, 6]);
    await applyBatch([0, 1, 2, 3, 4, 5, 6]); // a full replay
    const { rows } = await pool.query(`SELECT total FROM ${schema}.totals WHERE id = 1`);
    expect(rows[0].total).toBe(7);
    const { rows: fences } = await pool.query(`SELECT "offset" FROM ${schema}.applied_offsets`);
    expect(fences).toEqual([{ offset: 6 }]);
  });

  it('reads and advances several partitions’ fences at once, in the order asked, never backwards', async () => {
    const fences = [3, 1, 2].map((partition) => ({ group: 'many', topic: 't', partition }));
    await inTransaction(pool, async (db) => {
      expect(await readPostgresFences(db, schema, fences)).toEqual([-1, -1, -1]);
      await advancePostgresFences(
        db,
        schema,
        fences.map((fence, i) => ({ fence, offset: 10 * (i + 1) })),
      );
    });
    await inTransaction(pool, async (db) => {
      await advancePostgresFences(db, schema, [{ fence: fences[2]!, offset: 5 }]);
      expect(await readPostgresFences(db, schema, fences)).toEqual([10, 20, 30]);
    });
  });
});
