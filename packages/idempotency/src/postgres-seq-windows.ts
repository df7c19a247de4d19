import { assertSqlIdentifier } from '@tally/config';
import {
  BLOCK_SEQS,
  WINDOW_BYTES,
  admitToBlock,
  admitToWindow,
  blockOf,
  emptyWindowState,
  fromLegacyWindow,
  mergeBlock,
  type Verdict,
  type WindowState,
} from './archived-window.js';
import type { Queryable } from './postgres-fence.js';
import { fromStoredBits, toStoredBits } from './stored-bits.js';

/**
 * The (source, seq) windows of archived-window.ts kept in Postgres, read and written inside the caller's
 * transaction, so "this write was applied" commits or rolls back together with the state it changed. The
 * offset fence stops a redelivered or replayed *record*; this stops a *write* sent twice (a client retry is
 * two records at two offsets) and a replay into the same state by another consumer group.
 *
 * Its tables, <schema>.seq_windows and <schema>.seq_window_blocks, come from seqWindowMigrations, which a service
 * runs with its own.
 *
 * One window row per scope and source, whatever the number of writes, and one block row per 1,024 seqs of a
 * source that saw any write, kept for the retention period (pruneSeqArchive).
 */
export interface SourcedWrite {
  /**
   * Where the window lives; use the Kafka partition the write was consumed from. A source that writes many
   * keys spreads its seqs over partitions consumed at different speeds, so one window per source would see
   * them far out of order; within one partition they arrive in the order the source sent them, and a retry of
   * a write carries the same key, so the same partition. Each partition's owner also keeps to its own rows.
   */
  scope: string;
  source: string;
  seq: number;
}

const windowKey = (w: { scope: string; source: string }) => `${w.scope}\u0000${w.source}`;
const splitKey = (key: string) => ({
  scope: key.slice(0, key.indexOf('\u0000')),
  source: key.slice(key.indexOf('\u0000') + 1),
});
const blockKey = (key: string, block: number) => `${key}\u0000${block}`;
// code-point order, the order scopes are locked in; the same in every process whatever its locale
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function table(schema: string, name: 'seq_windows' | 'seq_window_blocks'): string {
  return `${assertSqlIdentifier(schema, 'schema')}.${name}`;
}

/**
 * Decides, in order, whether each write is new, a duplicate, or forgotten (older than the archive's horizon:
 * not to be applied, to be reported), and records the new ones. Each scope is first locked for the rest of
 * the transaction (an advisory lock, taken in scope order), so concurrent batches sharing a scope serialise
 * instead of overwriting each other's bits or deadlocking; then one read and one upsert of the windows, and
 * — only when a window moved past a block or a write is older than its window — one read and one upsert of
 * archived blocks.
 */
export async function admitWrites(db: Queryable, schema: string, writes: readonly SourcedWrite[]): Promise<Verdict[]> {
  if (writes.length === 0) return [];
  const scopes = [...new Set(writes.map((w) => w.scope))].sort(compare);
  await lockScopes(db, schema, scopes);
  const windows = await readWindows(db, schema, writes);
  const changed = new Set<string>();
  const evicted = new Map<string, Map<number, Uint8Array>>();
  const below: number[] = [];
  const verdicts: Verdict[] = writes.map((w, i) => {
    const key = windowKey(w);
    let window = windows.get(key);
    if (!window) windows.set(key, (window = emptyWindowState()));
    let blocks = evicted.get(key);
    if (!blocks) evicted.set(key, (blocks = new Map()));
    const verdict = admitToWindow(window, w.seq, blocks);
    if (verdict === 'new' || blocks.size > 0) changed.add(key);
    if (verdict !== 'archived') return verdict;
    below.push(i);
    return 'duplicate';
  });
  const archive = [...evicted].flatMap(([key, blocks]) => [...blocks.keys()].map((block) => ({ key, block })));
  if (archive.length > 0 || below.length > 0) {
    const blocks = await readBlocks(db, schema, [
      ...archive,
      ...below.map((i) => ({ key: windowKey(writes[i]!), block: blockOf(writes[i]!.seq) })),
    ]);
    for (const { key, block } of archive) mergeBlock(blocks, blockKey(key, block), evicted.get(key)!.get(block)!);
    const touched = new Set(archive.map(({ key, block }) => blockKey(key, block)));
    for (const i of below) {
      const k = blockKey(windowKey(writes[i]!), blockOf(writes[i]!.seq));
      const { verdict, bits } = admitToBlock(blocks.get(k), writes[i]!.seq);
      verdicts[i] = verdict;
      if (verdict === 'new') {
        blocks.set(k, bits);
        touched.add(k);
      }
    }
    await writeBlocks(
      db,
      schema,
      [...touched].map((k) => [k, blocks.get(k)!] as const),
    );
  }
  await writeWindows(
    db,
    schema,
    [...changed].map((key) => [key, windows.get(key)!] as const),
  );
  return verdicts;
}

/**
 * Forgets archived blocks not written for `olderThanMs` in these scopes, and raises each source's horizon past
 * them: a retry of one of their writes is then reported as forgotten instead of being told apart.
 */
export async function pruneSeqArchive(
  db: Queryable,
  schema: string,
  scopes: string[],
  olderThanMs: number,
): Promise<number> {
  if (scopes.length === 0) return 0;
  await lockScopes(db, schema, [...new Set(scopes)].sort(compare));
  const { rows } = await db.query(
    `WITH gone AS (
       DELETE FROM ${table(schema, 'seq_window_blocks')} WHERE scope = ANY($1::text[]) AND archived_at < to_timestamp($2 / 1000.0)
       RETURNING scope, source, block),
     tops AS (SELECT scope, source, (max(block) + 1) * $3 AS top, count(*) AS blocks FROM gone GROUP BY scope, source),
     raised AS (
       UPDATE ${table(schema, 'seq_windows')} w SET horizon = GREATEST(w.horizon, t.top) FROM tops t
       WHERE w.scope = t.scope AND w.source = t.source)
     SELECT coalesce(sum(blocks), 0) AS pruned FROM tops`,
    [scopes, olderThanMs, BLOCK_SEQS],
  );
  return Number(rows[0]?.pruned ?? 0);
}

async function lockScopes(db: Queryable, schema: string, scopes: string[]): Promise<void> {
  await db.query(
    `SELECT pg_advisory_xact_lock(hashtext($1 || '/' || s)) FROM unnest($2::text[]) WITH ORDINALITY AS t(s, i) ORDER BY i`,
    [table(schema, 'seq_windows'), scopes],
  );
}

async function readWindows(
  db: Queryable,
  schema: string,
  writes: readonly SourcedWrite[],
): Promise<Map<string, WindowState>> {
  const keys = [...new Map(writes.map((w) => [windowKey(w), w])).values()];
  // One primary-key probe per key, whatever the table's size. As a plain join of thousands of keys, the planner
  // (costing pages as if on disk) hashes the whole table once it holds a few hundred thousand windows, so every
  // batch reads every row: 170-500 ms for 7,000 keys against 300,000 windows, where the probes take 26 ms.
  // OFFSET 0 keeps the subquery from being merged into a join, so it stays a probe.
  const { rows } = await db.query(
    `SELECT w.scope, w.source, w.highest, w.seen, w.horizon FROM unnest($1::text[], $2::text[]) AS t(c, s)
     CROSS JOIN LATERAL (SELECT scope, source, highest, seen, horizon FROM ${table(schema, 'seq_windows')} WHERE scope = t.c AND source = t.s OFFSET 0) AS w`,
    [keys.map((w) => w.scope), keys.map((w) => w.source)],
  );
  return new Map(
    rows.map((r) => {
      const stored = r.seen as Buffer;
      const seen = fromStoredBits(stored, WINDOW_BYTES);
      const highest = Number(r.highest);
      const horizon = Number(r.horizon);
      // a row written before windows had blocks holds 1,024 bits: read it in today's form
      const state = seen ? { highest, seen, horizon } : fromLegacyWindow(highest, stored, horizon);
      return [windowKey({ scope: r.scope as string, source: r.source as string }), state] as const;
    }),
  );
}

async function writeWindows(db: Queryable, schema: string, windows: (readonly [string, WindowState])[]): Promise<void> {
  if (windows.length === 0) return;
  const keys = windows.map(([key]) => splitKey(key));
  await db.query(
    `INSERT INTO ${table(schema, 'seq_windows')} (scope, source, highest, seen, horizon)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[], $5::bigint[])
     ON CONFLICT (scope, source) DO UPDATE SET highest = EXCLUDED.highest, seen = EXCLUDED.seen, horizon = EXCLUDED.horizon, touched_at = now()`,
    [
      keys.map((k) => k.scope),
      keys.map((k) => k.source),
      windows.map(([, w]) => w.highest),
      windows.map(([, w]) => toStoredBits(w.seen)),
      windows.map(([, w]) => w.horizon),
    ],
  );
}

async function readBlocks(
  db: Queryable,
  schema: string,
  wanted: { key: string; block: number }[],
): Promise<Map<string, Uint8Array>> {
  const unique = [...new Map(wanted.map((w) => [blockKey(w.key, w.block), w])).values()].map((w) => ({
    ...splitKey(w.key),
    block: w.block,
  }));
  // probes, for the reason readWindows gives
  const { rows } = await db.query(
    `SELECT b.scope, b.source, b.block, b.seen FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(c, s, k)
     CROSS JOIN LATERAL (SELECT scope, source, block, seen FROM ${table(schema, 'seq_window_blocks')} WHERE scope = t.c AND source = t.s AND block = t.k OFFSET 0) AS b`,
    [unique.map((u) => u.scope), unique.map((u) => u.source), unique.map((u) => u.block)],
  );
  return new Map(
    rows.map((r) => [
      blockKey(windowKey({ scope: r.scope as string, source: r.source as string }), Number(r.block)),
      fromStoredBits(r.seen as Buffer, BLOCK_SEQS / 8)!,
    ]),
  );
}

async function writeBlocks(db: Queryable, schema: string, blocks: (readonly [string, Uint8Array])[]): Promise<void> {
  if (blocks.length === 0) return;
  const keys = blocks.map(([k]) => {
    const at = k.lastIndexOf('\u0000');
    return { ...splitKey(k.slice(0, at)), block: Number(k.slice(at + 1)) };
  });
  await db.query(
    `INSERT INTO ${table(schema, 'seq_window_blocks')} (scope, source, block, seen)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bytea[])
     ON CONFLICT (scope, source, block) DO UPDATE SET seen = EXCLUDED.seen, archived_at = now()`,
    [
      keys.map((k) => k.scope),
      keys.map((k) => k.source),
      keys.map((k) => k.block),
      blocks.map(([, bits]) => toStoredBits(bits)),
    ],
  );
}
