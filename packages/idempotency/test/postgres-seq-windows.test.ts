import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createPool, inTransaction } from '@tally/storage';
import { uniqueName } from '@tally/testkit';
import { SeqWindows, admitWrites, type SourcedWrite } from '../src/index.js';

const stack = inject('stack');
const pool = createPool(stack.databaseUrl);
const schema = uniqueName('seqwin').replace(/-/g, '_');

beforeAll(async () => {
  await pool.query(`CREATE SCHEMA ${schema}`);
  await pool.query(`CREATE TABLE ${schema}.seq_windows (scope text NOT NULL, source text NOT NULL, highest bigint NOT NULL, seen bytea NOT NULL, touched_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (scope, source))`);
  await pool.query(`CREATE TABLE ${schema}.totals (source text PRIMARY KEY, total bigint NOT NULL)`);
});

afterAll(async () => {
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
});

/** Applies a batch: counts each write admitted as new, in one transaction with the window update. */
async function applyBatch(writes: SourcedWrite[], failAfterWrite = false, size = 64) {
  return inTransaction(pool, async (db) => {
    const verdicts = await admitWrites(db, schema, writes, size);
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

const totals = async () => Object.fromEntries((await pool.query(`SELECT source, total FROM ${schema}.totals ORDER BY source`)).rows.map((r) => [r.source, Number(r.total)]));

describe('seq windows in Postgres', () => {
  it('answers exactly as the in-memory window, in the same order, across batches', async () => {
    const writes: SourcedWrite[] = [];
    let x = 11;
    for (let i = 0; i < 3000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      writes.push({ scope: `k${x % 3}`, source: `s${x % 7}`, seq: Math.max(0, Math.floor(i / 7) + (x % 50) - 25) });
    }
    const memory = new SeqWindows(64);
    const expected = writes.map((w) => memory.admit(`${w.scope}/${w.source}`, w.seq));
    const actual: string[] = [];
    for (let i = 0; i < writes.length; i += 250) actual.push(...(await applyBatch(writes.slice(i, i + 250))));
    expect(actual).toEqual(expected);
  });

  it('rolls back with the state, and concurrent batches on one source lose no bit', async () => {
    await expect(applyBatch([{ scope: '', source: 'crash', seq: 1 }], true)).rejects.toThrow(/crash/);
    expect(await applyBatch([{ scope: '', source: 'crash', seq: 1 }])).toEqual(['new']);
    // 20 concurrent transactions, each a distinct slice of seqs for two shared sources, plus a retry of each;
    // a window of 256 covers all 200 seqs, so arrival order cannot make any of them stale
    const slices = Array.from({ length: 20 }, (_, k) => Array.from({ length: 10 }, (_, i) => ['left', 'right'].map((source) => ({ scope: 'shared', source, seq: k * 10 + i }))).flat());
    await Promise.all([...slices, ...slices].map((slice) => applyBatch(slice, false, 256)));
    expect(await totals()).toMatchObject({ crash: 1, left: 200, right: 200 });
  });
});
