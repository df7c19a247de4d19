/**
 * The cost of remembering applied writes exactly (issue 17), on this machine's Postgres, in one run: the
 * (source, seq) windows with their archive of older blocks (`admitWrites`, what viewer history and counters use
 * now) against the bounded window they replaced (the same statements over 1,024 bits per window; a write older
 * than that answered "stale" and never applied — the silent loss issue 17 removes), on the same write patterns,
 * in transactions of 1,000 writes as the services run them. Not a test: it prints numbers.
 *
 * Patterns: consecutive seqs of a few sources (a block archived per 1,024 writes of a source); the same spread
 * over 12 partitions (each window sees every 12th seq); seqs that are timestamps (every write leaves a gap wider
 * than the window: a block archived per write, the worst case); and 1% retries 2,000 seqs back (each a lookup
 * in the archive, which the bounded window answers "stale").
 * Usage: tsx scripts/bench/idempotency.ts [--writes 200000]
 */
import { parseArgs } from 'node:util';
import { admitSeq, admitWrites, emptyWindow, type SeqWindowState, type SourcedWrite } from '@tally/idempotency';
import { createPool, inTransaction, type Pool } from '@tally/storage';
import { stackEndpoints } from '@tally/stack';

const { values: args } = parseArgs({ options: { writes: { type: 'string', default: '200000' } } });
const WRITES = Number(args.writes);
const BATCH = 1000;
const run = `bench_idem_${Date.now().toString(36)}`;

type Admit = (db: Parameters<typeof admitWrites>[0], schema: string, writes: SourcedWrite[]) => Promise<string[]>;

/** Before issue 17: the window alone, 1,024 bits; older writes are "stale" (treated as applied, so never applied). */
const boundedWindow: Admit = async (db, schema, writes) => {
  const keyOf = (w: { scope: string; source: string }) => `${w.scope}\u0000${w.source}`;
  const scopes = [...new Set(writes.map((w) => w.scope))].sort();
  await db.query(
    `SELECT pg_advisory_xact_lock(hashtext($1 || '/' || s)) FROM unnest($2::text[]) WITH ORDINALITY AS t(s, i) ORDER BY i`,
    [`${schema}.seq_windows`, scopes],
  );
  const keys = [...new Map(writes.map((w) => [keyOf(w), w])).values()];
  const { rows } = await db.query(
    `SELECT w.scope, w.source, w.highest, w.seen FROM unnest($1::text[], $2::text[]) AS t(c, s)
     CROSS JOIN LATERAL (SELECT scope, source, highest, seen FROM ${schema}.seq_windows WHERE scope = t.c AND source = t.s OFFSET 0) AS w`,
    [keys.map((w) => w.scope), keys.map((w) => w.source)],
  );
  const windows = new Map<string, SeqWindowState>(
    rows.map((r) => [
      keyOf(r as { scope: string; source: string }),
      { highest: Number(r.highest), seen: new Uint8Array(r.seen as Buffer) },
    ]),
  );
  const changed = new Map<string, SourcedWrite>();
  const verdicts = writes.map((w) => {
    let window = windows.get(keyOf(w));
    if (!window) windows.set(keyOf(w), (window = emptyWindow(1024)));
    const verdict = admitSeq(window, w.seq);
    if (verdict === 'new') changed.set(keyOf(w), w);
    return verdict;
  });
  const updates = [...changed];
  if (updates.length > 0) {
    await db.query(
      `INSERT INTO ${schema}.seq_windows (scope, source, highest, seen) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[])
       ON CONFLICT (scope, source) DO UPDATE SET highest = EXCLUDED.highest, seen = EXCLUDED.seen, touched_at = now()`,
      [
        updates.map(([, w]) => w.scope),
        updates.map(([, w]) => w.source),
        updates.map(([k]) => windows.get(k)!.highest),
        updates.map(([k]) => Buffer.from(windows.get(k)!.seen)),
      ],
    );
  }
  return verdicts;
};

const patterns: Record<string, (i: number) => SourcedWrite> = {
  'consecutive seqs, 20 sources, 1 partition': (i) => ({ scope: 'p0', source: `s${i % 20}`, seq: Math.floor(i / 20) }),
  'consecutive seqs, 2,000 sources spread over 12 partitions': (i) => ({
    scope: `p${(i * 7) % 12}`,
    source: `s${i % 2000}`,
    seq: Math.floor(i / 2000),
  }),
  'timestamp seqs (gaps wider than the window), 200 sources': (i) => ({
    scope: `p${i % 12}`,
    source: `s${i % 200}`,
    seq: 1_700_000_000_000 + Math.floor(i / 200) * 5000,
  }),
  // a retry of a write 2,000 seqs back, in place of the source's write of the moment (held back, so some retries
  // are of writes whose first try never arrived): the bounded window answers "stale" to all of them, losing
  // those; the archive answers exactly (duplicate or new), at the cost of a lookup
  'consecutive seqs, 20 sources, 1% retries of writes 2,000 back': (i) => {
    const seq = Math.floor(i / 20);
    return { scope: 'p0', source: `s${i % 20}`, seq: i % 100 === 99 && seq > 2000 ? seq - 2000 : seq };
  },
};

async function measure(pool: Pool, schema: string, admit: Admit, pattern: (i: number) => SourcedWrite) {
  const started = performance.now();
  const counts: Record<string, number> = {};
  for (let from = 0; from < WRITES; from += BATCH) {
    const writes = Array.from({ length: Math.min(BATCH, WRITES - from) }, (_, k) => pattern(from + k));
    const verdicts = await inTransaction(pool, (db) => admit(db, schema, writes));
    for (const v of verdicts) counts[v] = (counts[v] ?? 0) + 1;
  }
  return { perSecond: Math.round(WRITES / ((performance.now() - started) / 1000)), counts };
}

async function main() {
  const pool = createPool(process.env.DATABASE_URL ?? stackEndpoints().databaseUrl);
  const rows: string[] = [];
  try {
    let n = 0;
    for (const [name, pattern] of Object.entries(patterns)) {
      const schemas = { before: `${run}_b${n}`, after: `${run}_a${n}` };
      n++;
      for (const schema of Object.values(schemas)) {
        await pool.query(`CREATE SCHEMA ${schema}`);
        await pool.query(
          `CREATE TABLE ${schema}.seq_windows (scope text NOT NULL, source text NOT NULL, highest bigint NOT NULL, seen bytea NOT NULL, horizon bigint NOT NULL DEFAULT 0, touched_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (scope, source))`,
        );
        await pool.query(
          `CREATE TABLE ${schema}.seq_window_blocks (scope text NOT NULL, source text NOT NULL, block bigint NOT NULL, seen bytea NOT NULL, archived_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (scope, source, block))`,
        );
      }
      const before = await measure(pool, schemas.before, boundedWindow, pattern);
      const after = await measure(
        pool,
        schemas.after,
        (db, schema, writes) => admitWrites(db, schema, writes),
        pattern,
      );
      const blocks = (await pool.query(`SELECT count(*)::int AS n FROM ${schemas.after}.seq_window_blocks`)).rows[0]
        .n as number;
      rows.push(
        `| ${name} | ${before.perSecond.toLocaleString('en')} | ${after.perSecond.toLocaleString('en')} | ${(after.perSecond / before.perSecond).toFixed(2)} | ${JSON.stringify(before.counts)} | ${JSON.stringify(after.counts)} | ${blocks.toLocaleString('en')} |`,
      );
      console.log(rows.at(-1));
      for (const schema of Object.values(schemas)) await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  } finally {
    await pool.end();
  }
  console.log(
    `\n${WRITES.toLocaleString('en')} writes per pattern, transactions of ${BATCH}, Postgres on this machine\n`,
  );
  console.log(
    '| pattern | bounded window (before), writes/s | window + archive (after), writes/s | after/before | verdicts before | verdicts after | archived blocks |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

await main();
