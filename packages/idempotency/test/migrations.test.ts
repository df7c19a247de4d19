import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPool, migrate } from '@tally/storage';
import { uniqueName } from '@tally/testkit';
import { offsetFenceMigrations, seqWindowMigrations } from '../src/index.js';

const stack = inject('stack');
const pool = createPool(stack.databaseUrl);
const schemas: string[] = [];
// a service that wrote these tables into its own migrations before this package shipped them
const counterMaterializer = fileURLToPath(
  new URL('../../../services/counter-materializer/migrations', import.meta.url),
);
const TABLES = ['applied_offsets', 'seq_windows', 'seq_window_blocks'];

afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pool.end();
});

function newSchema(name: string): string {
  const schema = uniqueName(name).replace(/-/g, '_');
  schemas.push(schema);
  return schema;
}

const migrateSets = async (schema: string) => [
  ...(await migrate({ databaseUrl: stack.databaseUrl, schema, ...offsetFenceMigrations })),
  ...(await migrate({ databaseUrl: stack.databaseUrl, schema, ...seqWindowMigrations })),
];

/** Each table's columns and indexes, as Postgres describes them: what the code relies on. */
async function shapeOf(schema: string) {
  const { rows: columns } = await pool.query(
    `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
     WHERE table_schema = $1 AND table_name = ANY($2) ORDER BY table_name, column_name`,
    [schema, TABLES],
  );
  const { rows: indexes } = await pool.query(
    `SELECT tablename, indexname, replace(indexdef, $1 || '.', '') AS definition FROM pg_indexes
     WHERE schemaname = $1 AND tablename = ANY($2) ORDER BY indexname`,
    [schema, TABLES],
  );
  return { columns, indexes };
}

describe('the idempotency tables, from this package', () => {
  it('creates them in a new schema, once', async () => {
    const schema = newSchema('idem_new');
    expect(await migrateSets(schema)).toEqual(['1796515200000_applied-offsets', '1796515200000_seq-windows']);
    expect(await migrateSets(schema)).toEqual([]);
    expect((await shapeOf(schema)).columns.map((c) => `${c.table_name}.${c.column_name}`)).toEqual([
      'applied_offsets.consumer_group',
      'applied_offsets.offset',
      'applied_offsets.partition',
      'applied_offsets.topic',
      'seq_window_blocks.archived_at',
      'seq_window_blocks.block',
      'seq_window_blocks.scope',
      'seq_window_blocks.seen',
      'seq_window_blocks.source',
      'seq_windows.highest',
      'seq_windows.horizon',
      'seq_windows.scope',
      'seq_windows.seen',
      'seq_windows.source',
      'seq_windows.touched_at',
    ]);
  });

  it("leaves a service's own copies, and what they hold, as they are: the same shape either way", async () => {
    const existing = newSchema('idem_old');
    await migrate({ databaseUrl: stack.databaseUrl, schema: existing, dir: counterMaterializer });
    await pool.query(`INSERT INTO ${existing}.applied_offsets VALUES ('g', 't', 0, 41)`);
    await pool.query(
      `INSERT INTO ${existing}.seq_windows (scope, source, highest, seen, horizon) VALUES ('p0', 's', 9, '\\x01', 3)`,
    );

    expect(await migrateSets(existing)).toEqual(['1796515200000_applied-offsets', '1796515200000_seq-windows']);
    const { rows: fences } = await pool.query(`SELECT "offset" FROM ${existing}.applied_offsets`);
    const { rows: windows } = await pool.query(`SELECT highest, horizon FROM ${existing}.seq_windows`);
    expect(fences).toEqual([{ offset: 41 }]);
    expect(windows).toEqual([{ highest: 9, horizon: 3 }]);

    const fresh = newSchema('idem_fresh');
    await migrateSets(fresh);
    expect(await shapeOf(existing)).toEqual(await shapeOf(fresh));
  });
});
