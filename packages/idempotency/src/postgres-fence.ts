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
  await db.query(
    `INSERT INTO ${table(schema)} (consumer_group, topic, partition, "offset") VALUES ($1, $2, $3, -1) ON CONFLICT DO NOTHING`,
    [fence.group, fence.topic, fence.partition],
  );
  const { rows } = await db.query(
    `SELECT "offset" FROM ${table(schema)} WHERE consumer_group = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
    [fence.group, fence.topic, fence.partition],
  );
  return Number(rows[0]?.offset ?? -1);
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
  await db.query(
    `UPDATE ${table(schema)} SET "offset" = GREATEST("offset", $4) WHERE consumer_group = $1 AND topic = $2 AND partition = $3`,
    [fence.group, fence.topic, fence.partition, offset],
  );
}
