import pg from 'pg';
import { runner } from 'node-pg-migrate';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// bigint columns (counts, offsets, minor units) come back as strings by default; ours stay below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export function createPool(url: string, max = 10): Pool {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5000 });
  // A connection that dies (Postgres restarted, a network cut) is reported as an 'error' event: by the pool for
  // an idle client, which it has already dropped, and by a checked-out client itself, whose queries fail with
  // the same error anyway. Unhandled, either event ends the process (it ended every service at a Postgres
  // restart); handled, the batch fails and is retried, and the pool drops the dead client when it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/**
 * One transaction per batch: BEGIN, the batch's statements, COMMIT; ROLLBACK on any error so a half-applied
 * batch never becomes durable.
 */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface MigrationOptions {
  databaseUrl: string;
  /** Each service owns one Postgres schema; its migrations and their bookkeeping table live there. */
  schema: string;
  dir: string;
  log?: (message: string) => void;
}

/** Applies the service's pending migrations (node-pg-migrate), under its lock so two instances cannot race. */
export async function migrate({ databaseUrl, schema, dir, log }: MigrationOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir,
    direction: 'up',
    schema,
    createSchema: true,
    migrationsSchema: schema,
    migrationsTable: 'pgmigrations',
    count: Infinity,
    singleTransaction: true,
    // instances starting together (a rollout) queue on the advisory lock instead of crashing
    advisoryLockMode: 'wait',
    log: log ?? (() => undefined),
  });
  return applied.map((m) => m.name);
}
