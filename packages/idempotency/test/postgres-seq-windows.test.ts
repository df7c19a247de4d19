import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createPool, inTransaction, migrate } from '@tally/storage';
import { uniqueName } from '@tally/testkit';
import { admitWrites, pruneSeqArchive, seqWindowMigrations, type SourcedWrite } from '../src/index.js';

const stack = inject('stack');
const pool = createPool(stack.databaseUrl);
const schema = uniqueName('seqwin').replace(/-/g, '_');

beforeAll(async () => {
  await migrate({ databaseUrl: stack.databaseUrl, schema, ...seqWindowMigrations });
  await pool.query(`CREATE TABLE ${schema}.totals (source text PRIMARY KEY, total bigint NOT NULL)`);
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
});

/** Applies a batch: counts each write admitted as new, in one transaction with the window update. */
async function applyBatch(writes: SourcedWrite[], failAfterWrite = false) {
  return inTransaction(pool, async (db) => {
    const verdicts = await admitWrites(db, schema, writes);
    const fresh = writes.filter((_, i) => verdicts[i] === 'new');
    const bySource = new Map<string, number>();
    for (const w of fresh) bySource.set(w.source, (bySource.get(w.source) ?? 0) + 1);
    await db.query(
      `INSERT INTO ${schema}.totals SELECT * FROM unnest($1::text[], $2::bigint[]) ON CONFLICT (source) DO UPDATE SET total = totals.total + EXCLUDED.total`,
      [[...bySource.keys()], [...bySource.values()]],
    );
    if (failAfterWrite) throw new Error('crash before commit');
    return verdicts;
  });
}

const totals = async () =>
  Object.fromEntries(
    (await pool.query(`SELECT source, total FROM ${schema}.totals ORDER BY source`)).rows.map((r) => [
      r.source,
      Number(r.total),
    ]),
  );

describe('seq windows in Postgres', () => {
  it('stores a window with few seqs as their indexes, and still reads a window stored as a whole bitmap', async () => {
    await applyBatch([{ scope: 'sparse', source: 'one', seq: 5 }]);
    const { rows } = await pool.query(
      `SELECT length(seen) AS bytes FROM ${schema}.seq_windows WHERE scope = 'sparse' AND source = 'one'`,
    );
    expect(rows[0].bytes).toBe(2);
    // as written before the sparse form: seqs 0..19 in a 256-byte bitmap
    const bitmap = Buffer.alloc(256);
    bitmap[0] = 0xff;
    bitmap[1] = 0xff;
    bitmap[2] = 0xf0;
    await pool.query(
      `INSERT INTO ${schema}.seq_windows (scope, source, highest, seen, horizon) VALUES ('sparse', 'full', 19, $1, 0)`,
      [bitmap],
    );
    const verdicts = await applyBatch([0, 19, 20, 21].map((seq) => ({ scope: 'sparse', source: 'full', seq })));
    expect(verdicts).toEqual(['duplicate', 'duplicate', 'new', 'new']);
  });

  it('answers exactly as a set of every write seen, across batches, however late a write comes', async () => {
    const writes: SourcedWrite[] = [];
    let x = 11;
    for (let i = 0; i < 6000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      // mostly in order, some far behind (late retries thousands of seqs back), some repeated
      const behind = x % 10 === 0 ? x % 3000 : (x % 50) - 25;
      writes.push({ scope: `k${x % 3}`, source: `s${x % 7}`, seq: Math.max(0, i - behind) });
    }
    const seen = new Set<string>();
    const expected = writes.map((w) => {
      const key = `${w.scope}/${w.source}/${w.seq}`;
      const verdict = seen.has(key) ? 'duplicate' : 'new';
      seen.add(key);
      return verdict;
    });
    const actual: string[] = [];
    for (let i = 0; i < writes.length; i += 250) actual.push(...(await applyBatch(writes.slice(i, i + 250))));
    expect(actual).toEqual(expected);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}.seq_window_blocks`);
    expect(rows[0].n).toBeGreaterThan(0);
  });

  it('forgets archived blocks after their retention, and says so instead of guessing', async () => {
    const writes = Array.from({ length: 3000 }, (_, seq) => ({ scope: 'p9', source: 'pruned', seq }));
    await applyBatch(writes);
    expect(await applyBatch([{ scope: 'p9', source: 'pruned', seq: 5 }])).toEqual(['duplicate']);
    const pruned = await inTransaction(pool, (db) => pruneSeqArchive(db, schema, ['p9'], Date.now() + 1000));
    expect(pruned).toBe(1); // block 0 (seqs 0-1023); blocks 1 and 2 are still the window
    expect(
      await applyBatch([
        { scope: 'p9', source: 'pruned', seq: 5 },
        { scope: 'p9', source: 'pruned', seq: 1500 },
        { scope: 'p9', source: 'pruned', seq: 3000 },
      ]),
    ).toEqual(['forgotten', 'duplicate', 'new']);
  });

  it('rolls back with the state, and concurrent batches on one source lose no bit', async () => {
    await expect(applyBatch([{ scope: '', source: 'crash', seq: 1 }], true)).rejects.toThrow(/crash/);
    expect(await applyBatch([{ scope: '', source: 'crash', seq: 1 }])).toEqual(['new']);
    // 20 concurrent transactions, each a distinct slice of seqs for two shared sources, plus a retry of each
    const slices = Array.from({ length: 20 }, (_, k) =>
      Array.from({ length: 10 }, (_, i) =>
        ['left', 'right'].map((source) => ({ scope: 'shared', source, seq: k * 10 + i })),
      ).flat(),
    );
    await Promise.all([...slices, ...slices].map((slice) => applyBatch(slice)));
    expect(await totals()).toMatchObject({ crash: 1, left: 200, right: 200 });
  });
});
