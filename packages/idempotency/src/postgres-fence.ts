import { assertSqlIdentifier } from '@tally/config';

/**
 * The offset fence: the last offset applied per (group, topic, partition), read and
 * advanced inside the same transaction as the state change. Its table, <schema>.applied_offsets, comes from
 * offsetFenceMigrations, which a service runs with its own.
 */
export interface Queryable {
  query: (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
}

export interface PartitionFence {
  group: string;
  topic: string;
  partition: number;
}

function table(schema: string): string {
  return `${assertSqlIdentifier(schema, 'schema')}.applied_offsets`;
}

/** The last applied offset, -1 if none; locks the row (FOR UPDATE) so two owners of a partition serialise. */
export async function readPostgresFence(db: Queryable, schema: string, fence: PartitionFence): Promise<number> {
  return (await readPostgresFences(db, schema, [fence]))[0]!;
}

/**
 * The fences of several partitions at once, in the order given: two statements whatever their number (a
 * flush of a dozen partitions paid three round trips each), the rows locked in (topic, partition) order so two
 * transactions sharing partitions never wait on each other in a cycle.
 */
export async function readPostgresFences(db: Queryable, schema: string, fences: PartitionFence[]): Promise<number[]> {
  if (fences.length === 0) return [];
  const columns = [fences.map((f) => f.group), fences.map((f) => f.topic), fences.map((f) => f.partition)];
  await db.query(
    `INSERT INTO ${table(schema)} (consumer_group, topic, partition, "offset")
     SELECT g, t, p, -1 FROM unnest($1::text[], $2::text[], $3::int[]) AS w(g, t, p) ORDER BY t, p ON CONFLICT DO NOTHING`,
    columns,
  );
  const { rows } = await db.query(
    `SELECT a.consumer_group, a.topic, a.partition, a."offset" FROM ${table(schema)} a
     JOIN unnest($1::text[], $2::text[], $3::int[]) AS w(g, t, p) ON a.consumer_group = w.g AND a.topic = w.t AND a.partition = w.p
     ORDER BY a.topic, a.partition FOR UPDATE OF a`,
    columns,
  );
  const key = (group: unknown, topic: unknown, partition: unknown) => JSON.stringify([group, topic, partition]);
  const offsets = new Map(rows.map((r) => [key(r.consumer_group, r.topic, r.partition), Number(r.offset)]));
  return fences.map((f) => offsets.get(key(f.group, f.topic, f.partition)) ?? -1);
}

/** Advances several partitions' fences in one statement (never backwards). */
export async function advancePostgresFences(
  db: Queryable,
  schema: string,
  advances: { fence: PartitionFence; offset: number }[],
): Promise<void> {
  if (advances.length === 0) return;
  await db.query(
    `UPDATE ${table(schema)} a SET "offset" = GREATEST(a."offset", w.o)
     FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[]) AS w(g, t, p, o)
     WHERE a.consumer_group = w.g AND a.topic = w.t AND a.partition = w.p`,
    [
      advances.map((a) => a.fence.group),
      advances.map((a) => a.fence.topic),
      advances.map((a) => a.fence.partition),
      advances.map((a) => a.offset),
    ],
  );
}

/** The last applied offset (-1 if none) without locking it: what a reader outside the batch's transaction may see. */
export async function peekPostgresFence(db: Queryable, schema: string, fence: PartitionFence): Promise<number> {
  const { rows } = await db.query(
    `SELECT "offset" FROM ${table(schema)} WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
    [fence.group, fence.topic, fence.partition],
  );
  return Number(rows[0]?.offset ?? -1);
}

export async function advancePostgresFence(
  db: Queryable,
  schema: string,
  fence: PartitionFence,
  offset: number,
): Promise<void> {
  await advancePostgresFences(db, schema, [{ fence, offset }]);
}
