import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import {
  POSTGRES_FOREIGN_TLS_PARAMETERS,
  POSTGRES_SSL_MODES,
  given,
  readCaFile,
  readText,
  type ReadText,
} from '@tally/config';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// bigint columns (counts, offsets, minor units) come back as strings by default; ours stay below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** How to reach Postgres securely beyond its URL, under the platform's variable names (@tally/config). */
export interface PostgresTransportSettings {
  /** The sslmode when the URL names none: disable, require, verify-ca or verify-full. */
  DATABASE_SSLMODE?: string | undefined;
  /** A PEM file of the CA(s) that signed Postgres's certificate; unset: the system's CAs. */
  DATABASE_SSL_CA_FILE?: string | undefined;
}

/** What pg connects with: the URL without its sslmode, and the TLS options that sslmode stands for. */
export interface PostgresConnection {
  connectionString: string;
  ssl: false | ConnectionOptions;
}

/**
 * The sslmode of the URL (else DATABASE_SSLMODE, else disable) as libpq means it, applied by us: pg 8 reads
 * `require` and `verify-ca` as `verify-full` (with a warning) and, handed an sslmode in the URL, drops any `ssl`
 * option given beside it (the CA with it), so the sslmode leaves the URL and becomes `ssl` here:
 *
 * - disable: plaintext (`ssl: false`; PGSSLMODE is not read either).
 * - require: encrypted, the server not authenticated (anyone in the path can pose as it); with a CA file it is
 *   verify-ca, as in libpq.
 * - verify-ca: encrypted, the certificate must chain to DATABASE_SSL_CA_FILE; the host name is not checked.
 * - verify-full: encrypted, the certificate must chain to the CA file (else the system's CAs) and name the host
 *   of the URL.
 *
 * A server that does not offer TLS is refused in every mode but disable; none falls back to plaintext.
 */
export function postgresConnection(
  url: string,
  settings: PostgresTransportSettings,
  read: ReadText = readText,
): PostgresConnection {
  let connectionString = url;
  let inUrl: string | undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // not a URL pg-connection-string would read as one either (a socket path): it has no query to look at
  }
  if (parsed) {
    const foreign = POSTGRES_FOREIGN_TLS_PARAMETERS.filter((name) => parsed.searchParams.has(name));
    if (foreign.length > 0)
      throw new Error(
        `DATABASE_URL: TLS is set by sslmode and DATABASE_SSL_CA_FILE only: remove ${foreign.join(', ')}`,
      );
    inUrl = parsed.searchParams.get('sslmode') ?? undefined;
    if (inUrl !== undefined) {
      parsed.searchParams.delete('sslmode');
      connectionString = parsed.toString();
    }
  }
  const variable = given(settings.DATABASE_SSLMODE);
  if (inUrl !== undefined && variable !== undefined && inUrl !== variable)
    throw new Error(`DATABASE_SSLMODE: is ${variable}, but DATABASE_URL says sslmode=${inUrl}`);
  const mode = inUrl ?? variable ?? 'disable';
  if (!(POSTGRES_SSL_MODES as readonly string[]).includes(mode))
    throw new Error(
      `${inUrl === undefined ? 'DATABASE_SSLMODE' : 'DATABASE_URL: sslmode'} must be one of ${POSTGRES_SSL_MODES.join(', ')} (got ${JSON.stringify(mode)})`,
    );

  const caFile = given(settings.DATABASE_SSL_CA_FILE);
  if (mode === 'disable') {
    if (caFile !== undefined)
      throw new Error('DATABASE_SSL_CA_FILE: is set, but sslmode is disable, which does not use TLS');
    return { connectionString, ssl: false };
  }
  const ca = caFile === undefined ? undefined : [readCaFile('DATABASE_SSL_CA_FILE', caFile, read)];
  const anyHost = () => undefined;
  switch (mode) {
    case 'require':
      return {
        connectionString,
        ssl: ca ? { rejectUnauthorized: true, ca, checkServerIdentity: anyHost } : { rejectUnauthorized: false },
      };
    case 'verify-ca':
      if (!ca) throw new Error('DATABASE_SSL_CA_FILE: is required with sslmode=verify-ca');
      return { connectionString, ssl: { rejectUnauthorized: true, ca, checkServerIdentity: anyHost } };
    default:
      return { connectionString, ssl: ca ? { rejectUnauthorized: true, ca } : { rejectUnauthorized: true } };
  }
}

/**
 * A pool for `url`. TLS follows the URL's sslmode and, by default, DATABASE_SSLMODE and DATABASE_SSL_CA_FILE from
 * the process environment (postgresConnection).
 */
export function createPool(url: string, max = 10, transport: PostgresTransportSettings = process.env): Pool {
  const pool = new pg.Pool({
    ...postgresConnection(url, transport),
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5000,
  });
  // A connection that dies (Postgres restarted, a network cut) is reported as an 'error' event: by the pool for
  // an idle client, which it has already dropped, and by a checked-out client itself, whose queries fail with
  // the same error anyway. Unhandled, either event ends the process (it ended every service at a Postgres
  // restart); handled, the batch fails and is retried, and the pool drops the dead client when it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** The SQL isolation levels Postgres runs a transaction at; its default is READ COMMITTED. */
export type IsolationLevel = 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';

export interface TransactionOptions {
  /** Default: the server's (READ COMMITTED). REPEATABLE READ gives several reads one snapshot. */
  isolation?: IsolationLevel;
  /** Refuses writes, and lets Postgres skip the bookkeeping a writing transaction needs. */
  readOnly?: boolean;
}

/** The BEGIN that opens a transaction with these options (a plain BEGIN without any). */
export function beginStatement({ isolation, readOnly = false }: TransactionOptions = {}): string {
  return ['BEGIN', ...(isolation ? [`ISOLATION LEVEL ${isolation}`] : []), ...(readOnly ? ['READ ONLY'] : [])].join(
    ' ',
  );
}

/**
 * One transaction per batch: BEGIN, the batch's statements, COMMIT; ROLLBACK on any error so a half-applied
 * batch never becomes durable.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(beginStatement(options));
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

/**
 * A folder of migrations and the table that records which of them ran. A package that owns tables (the
 * idempotency records) ships its own set, recorded in its own table, so its files never interleave with a
 * service's in one history (the runner refuses a file that sorts before one already applied).
 */
export interface MigrationSet {
  dir: string;
  /** Default: pgmigrations, the service's own history. */
  table?: string;
}

export interface MigrationOptions extends MigrationSet {
  databaseUrl: string;
  /** Each service owns one Postgres schema; its migrations and their bookkeeping tables live there. */
  schema: string;
  log?: (message: string) => void;
  /** TLS beyond the URL's sslmode, as createPool's; default: the process environment. */
  transport?: PostgresTransportSettings;
}

/** Applies the service's pending migrations (node-pg-migrate), under its lock so two instances cannot race. */
export async function migrate({
  databaseUrl,
  schema,
  dir,
  table = 'pgmigrations',
  log,
  transport = process.env,
}: MigrationOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl: postgresConnection(databaseUrl, transport),
    dir,
    direction: 'up',
    schema,
    createSchema: true,
    migrationsSchema: schema,
    migrationsTable: table,
    count: Infinity,
    singleTransaction: true,
    // instances starting together (a rollout) queue on the advisory lock instead of crashing
    advisoryLockMode: 'wait',
    log: log ?? (() => undefined),
  });
  return applied.map((m) => m.name);
}
