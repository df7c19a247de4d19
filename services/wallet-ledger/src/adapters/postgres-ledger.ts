import { assertSqlIdentifier } from '@tally/config';
import { inTransaction, type Pool, type PoolClient } from '@tally/storage';
import type { Hold, HoldStatus } from '../domain/holds.js';
import {
  accountKey,
  type Account,
  type CommandType,
  type Conflict,
  type Entry,
  type RecordedWrite,
  type Status,
} from '../domain/ledger.js';
import type { WriteBody } from '../domain/write-bodies.js';
import type { AccountRef, LedgerBatchStore, LedgerPort, StoredEntry } from '../wallet-ledger.js';
import { verifyLedger } from './ledger-audit.js';

export type { StoredEntry } from '../wallet-ledger.js';

const ENTRY_COLUMNS = `user_id, command_id, leg, type, asset, amount_minor, status, reason, rejection, balance_delta_minor,
  held_delta_minor, balance_after_minor, held_after_minor, counterparty, hold_id, is_grant, requested_at, applied_at`;
const HOLD_COLUMNS = `hold_id, user_id, asset, amount_minor, payee, expires_at, status, captured_minor, reason, requested_at`;

/**
 * The ledger in Postgres: one transaction per batch, a handful of set-based statements whatever its size.
 *
 * Serialised by ACCOUNT, not by partition: the batch's transaction locks the balance rows of every account its
 * commands touch (SELECT ... FOR UPDATE, in one sorted order, so two batches never wait on each other in a
 * cycle) before it reads anything else. Whatever the partition count, and however one user's commands or a
 * transfer's two sides are spread over partitions and consumers, a balance read here cannot change before the
 * commit. An account seen for the first time has no row to lock: the batch then stops, its rows are created
 * (empty) in a statement of their own, and it starts again, so a transaction only ever locks rows that exist and
 * never holds a fresh insert out of order. (Making every batch's rows beforehand cost a statement and a
 * commit per batch even when every account existed.)
 */
export class LedgerStore implements LedgerPort {
  constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    assertSqlIdentifier(schema);
  }

  async ensureAccounts(accounts: AccountRef[]): Promise<void> {
    if (accounts.length === 0) return;
    const sorted = sortAccounts(accounts);
    await this.pool.query(
      `INSERT INTO ${this.schema}.balances (user_id, asset, balance_minor)
       SELECT u, a, 0 FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(u, a, i) ORDER BY i
       ON CONFLICT (user_id, asset) DO NOTHING`,
      [sorted.map((a) => a.userId), sorted.map((a) => a.asset)],
    );
  }

  /** The holds by id, read outside any transaction (to learn which accounts a capture touches). */
  holds(ids: string[]): Promise<Map<string, Hold>> {
    return readHolds(this.pool, this.schema, ids);
  }

  inTransaction<T>(work: (batch: LedgerBatchStore) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (db) => work(new PostgresLedgerBatch(db, this.schema)));
  }

  /** Pending holds due by `dueAtMs`, oldest first. */
  async dueHolds(dueAtMs: number, limit: number): Promise<Hold[]> {
    const { rows } = await this.pool.query(
      `SELECT ${HOLD_COLUMNS} FROM ${this.schema}.holds
       WHERE status = 'pending' AND expires_at <= to_timestamp($1 / 1000.0) ORDER BY expires_at LIMIT $2`,
      [dueAtMs, limit],
    );
    return rows.map(holdOf);
  }

  async accountsOf(userId: string): Promise<Map<string, Account>> {
    const { rows } = await this.pool.query(
      `SELECT asset, balance_minor, held_minor FROM ${this.schema}.balances WHERE user_id = $1 ORDER BY asset`,
      [userId],
    );
    return new Map(rows.map((r) => [r.asset as string, accountRow(r)]));
  }

  /** A user's entries, newest first, each with the kind of write it belongs to (GROUP for a group's members). */
  async history(userId: string, limit: number): Promise<(StoredEntry & { writeType: CommandType | null })[]> {
    const { rows } = await this.pool.query(
      `SELECT e.*, w.body->>'type' AS write_type FROM (
         SELECT ${ENTRY_COLUMNS} , entry_no FROM ${this.schema}.ledger_entries WHERE user_id = $1 ORDER BY entry_no DESC LIMIT $2) e
       LEFT JOIN ${this.schema}.ledger_writes w ON w.write_id = e.command_id ORDER BY e.entry_no DESC`,
      [userId, limit],
    );
    return rows.map((r) => ({ ...entryOf(r), writeType: (r.write_type as CommandType | null) ?? null }));
  }

  /** One write as a user sees it: their entries of it (legs in order), its write record, and any reuses of its id. */
  async transaction(userId: string, id: string) {
    const [entries, write, conflicts] = await Promise.all([
      this.pool.query(
        `SELECT ${ENTRY_COLUMNS} FROM ${this.schema}.ledger_entries WHERE user_id = $1 AND command_id = $2 ORDER BY leg`,
        [userId, id],
      ),
      this.pool.query(
        `SELECT write_id, body, status, rejection, failed_member, requested_at FROM ${this.schema}.ledger_writes WHERE write_id = $1`,
        [id],
      ),
      this.pool.query(
        `SELECT field, body, requested_at FROM ${this.schema}.ledger_conflicts WHERE write_id = $1 ORDER BY recorded_at`,
        [id],
      ),
    ]);
    return {
      entries: entries.rows.map(entryOf),
      write: write.rows[0] ? writeOf(write.rows[0]) : undefined,
      conflicts: conflicts.rows.map((r) => ({
        field: r.field as string,
        body: r.body as WriteBody,
        atMs: (r.requested_at as Date).getTime(),
      })),
    };
  }

  /** What breaks the ledger's invariants (nothing, always): see ledger-audit.ts. */
  invariantViolations() {
    return verifyLedger(this.pool, this.schema);
  }

  async hold(userId: string, holdId: string): Promise<Hold | undefined> {
    const holds = await readHolds(this.pool, this.schema, [holdId]);
    const hold = holds.get(holdId);
    return hold?.userId === userId ? hold : undefined;
  }
}

/** The statements of one batch's transaction (see LedgerStore). */
class PostgresLedgerBatch implements LedgerBatchStore {
  constructor(
    private readonly db: PoolClient,
    private readonly schema: string,
  ) {}

  /** Locks the accounts' rows in one sorted order and reads them; made by ensureAccounts beforehand. */
  async lockAccounts(accounts: AccountRef[]): Promise<Map<string, Account>> {
    if (accounts.length === 0) return new Map();
    const sorted = sortAccounts(accounts);
    // one primary-key probe per account, in the sorted order (LATERAL kept from being flattened by OFFSET 0):
    // the rows are locked in the order they are probed
    const { rows } = await this.db.query(
      `SELECT b.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(u, a, i)
       CROSS JOIN LATERAL (SELECT user_id, asset, balance_minor, held_minor FROM ${this.schema}.balances
                           WHERE user_id = t.u AND asset = t.a OFFSET 0 FOR UPDATE) AS b ORDER BY t.i`,
      [sorted.map((a) => a.userId), sorted.map((a) => a.asset)],
    );
    return new Map(rows.map((r) => [accountKey(r.user_id, r.asset), accountRow(r)]));
  }

  holds(ids: string[]): Promise<Map<string, Hold>> {
    return readHolds(this.db, this.schema, ids);
  }

  async writes(ids: string[]): Promise<Map<string, RecordedWrite>> {
    if (ids.length === 0) return new Map();
    const { rows } = await this.db.query(
      `SELECT w.* FROM unnest($1::text[]) AS t(id)
       CROSS JOIN LATERAL (SELECT write_id, body, status, rejection, failed_member, requested_at FROM ${this.schema}.ledger_writes WHERE write_id = t.id OFFSET 0) AS w`,
      [ids],
    );
    return new Map(rows.map((r) => [r.write_id as string, writeOf(r)]));
  }

  // One primary-key probe per (user, id) (LATERAL, kept from being merged into a join by OFFSET 0). As a plain join
  // of a batch's keys, the planner hashes the whole table once it is large, so each batch read the whole ledger:
  // 174-234 ms per 1,000 commands at 80,000 entries against 23 ms of probes. By user and id, not by id alone: the
  // primary key serves it, so no second index on ledger_entries costs every insert.
  async entries(keys: { userId: string; id: string }[]): Promise<Map<string, StoredEntry[]>> {
    if (keys.length === 0) return new Map();
    const unique = [...new Map(keys.map((k) => [`${k.userId}\u0000${k.id}`, k])).values()];
    const { rows } = await this.db.query(
      `SELECT e.* FROM unnest($1::text[], $2::text[]) AS t(u, c)
       CROSS JOIN LATERAL (SELECT ${ENTRY_COLUMNS}, entry_no FROM ${this.schema}.ledger_entries
                           WHERE user_id = t.u AND command_id = t.c OFFSET 0) AS e
       ORDER BY e.entry_no`,
      [unique.map((k) => k.userId), unique.map((k) => k.id)],
    );
    const byId = new Map<string, StoredEntry[]>();
    for (const row of rows) {
      const entry = entryOf(row);
      byId.set(entry.id, [...(byId.get(entry.id) ?? []), entry]);
    }
    return byId;
  }

  /** Appends the new entries in order (entry_no follows it); returns them as stored. */
  async appendEntries(entries: Entry[]): Promise<StoredEntry[]> {
    if (entries.length === 0) return [];
    const column = <T>(pick: (e: Entry) => T) => entries.map(pick);
    const { rows } = await this.db.query(
      `INSERT INTO ${this.schema}.ledger_entries (user_id, command_id, leg, type, asset, amount_minor, status, reason, rejection,
         balance_delta_minor, held_delta_minor, balance_after_minor, held_after_minor, counterparty, hold_id, is_grant, requested_at)
       SELECT u, c, l, t, a, m, s, r, j, bd, hd, ba, ha, cp, h, g, to_timestamp(q / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[],
                     $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::boolean[], $17::bigint[])
         WITH ORDINALITY AS x(u, c, l, t, a, m, s, r, j, bd, hd, ba, ha, cp, h, g, q, i) ORDER BY i
       RETURNING ${ENTRY_COLUMNS}`,
      [
        column((e) => e.userId),
        column((e) => e.id),
        column((e) => e.leg),
        column((e) => sqlEnum(e.type)),
        column((e) => e.asset),
        column((e) => e.amountMinor.toString()),
        column((e) => sqlEnum(e.status)),
        column((e) => e.reason),
        column((e) => e.rejection),
        column((e) => e.balanceDeltaMinor.toString()),
        column((e) => e.heldDeltaMinor.toString()),
        column((e) => e.balanceAfterMinor.toString()),
        column((e) => e.heldAfterMinor.toString()),
        column((e) => e.counterparty),
        column((e) => e.holdId),
        column((e) => e.grant),
        column((e) => e.requestedAtMs),
      ],
    );
    return rows.map(entryOf);
  }

  async recordWrites(writes: RecordedWrite[]): Promise<number> {
    if (writes.length === 0) return 0;
    // sorted, like the account locks, so two batches recording ids never wait on each other in a cycle. One JSON
    // document for the batch: as a jsonb[] parameter, each body went through Postgres' array-literal parser and
    // then its own jsonb parse: 1,958 ms for 45,000 writes; as one document, 922 ms (applyCommands alone over
    // 50,000 credits and debits of 5,000 users in batches of 8,333, one run each).
    const sorted = [...writes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const { rowCount } = await this.db.query(
      `INSERT INTO ${this.schema}.ledger_writes (write_id, body, status, rejection, failed_member, requested_at)
       SELECT t.w, t.b, t.s, t.r, t.m, to_timestamp(t.q / 1000.0)
         FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(x, i),
              jsonb_to_record(e.x) AS t(w text, b jsonb, s text, r text, m int, q bigint)
         ORDER BY e.i
       ON CONFLICT (write_id) DO NOTHING`,
      [
        JSON.stringify(
          sorted.map((w) => ({
            w: w.id,
            b: w.body,
            s: sqlEnum(w.status),
            r: w.rejection,
            m: w.member,
            q: w.requestedAtMs,
          })),
        ),
      ],
    );
    return rowCount ?? 0;
  }

  /** Each distinct reuse once: a retried reuse finds its row and adds nothing. */
  async recordConflicts(conflicts: Conflict[]): Promise<void> {
    if (conflicts.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.ledger_conflicts (write_id, body, user_id, field, requested_at)
       SELECT w, b, u, f, to_timestamp(q / 1000.0)
         FROM unnest($1::text[], $2::jsonb[], $3::text[], $4::text[], $5::bigint[]) AS t(w, b, u, f, q)
       ON CONFLICT (write_id, body) DO NOTHING`,
      [
        conflicts.map((c) => c.id),
        conflicts.map((c) => JSON.stringify(c.body)),
        conflicts.map((c) => c.userId),
        conflicts.map((c) => c.field),
        conflicts.map((c) => c.requestedAtMs),
      ],
    );
  }

  async saveHolds(holds: Hold[]): Promise<void> {
    if (holds.length === 0) return;
    await this.db.query(
      `INSERT INTO ${this.schema}.holds (hold_id, user_id, asset, amount_minor, payee, expires_at, status, captured_minor, reason, requested_at)
       SELECT h, u, a, m, p, to_timestamp(e / 1000.0), s, c, r, to_timestamp(q / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::bigint[])
         AS t(h, u, a, m, p, e, s, c, r, q)
       ON CONFLICT (hold_id) DO UPDATE SET status = EXCLUDED.status, captured_minor = EXCLUDED.captured_minor, updated_at = now()`,
      [
        holds.map((h) => h.id),
        holds.map((h) => h.userId),
        holds.map((h) => h.asset),
        holds.map((h) => h.amountMinor.toString()),
        holds.map((h) => h.to),
        holds.map((h) => h.expiresAtMs),
        holds.map((h) => h.status.toLowerCase()),
        holds.map((h) => h.capturedMinor.toString()),
        holds.map((h) => h.reason),
        holds.map((h) => h.requestedAtMs),
      ],
    );
  }

  /** Sets the accounts' balance and held, rows locked by lockAccounts. */
  async writeAccounts(accounts: Map<string, Account>): Promise<void> {
    if (accounts.size === 0) return;
    const keys = [...accounts.keys()].map((key) => key.split('\u0000') as [string, string]);
    const values = [...accounts.values()];
    await this.db.query(
      `UPDATE ${this.schema}.balances b SET balance_minor = t.m, held_minor = t.h, updated_at = now()
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) AS t(u, a, m, h)
       WHERE b.user_id = t.u AND b.asset = t.a`,
      [
        keys.map((k) => k[0]),
        keys.map((k) => k[1]),
        values.map((v) => v.balanceMinor.toString()),
        values.map((v) => v.heldMinor.toString()),
      ],
    );
  }
}

async function readHolds(db: Pool | PoolClient, schema: string, ids: string[]): Promise<Map<string, Hold>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query(`SELECT ${HOLD_COLUMNS} FROM ${schema}.holds WHERE hold_id = ANY($1::text[])`, [ids]);
  return new Map(rows.map((r) => [r.hold_id as string, holdOf(r)]));
}

const sortAccounts = (accounts: AccountRef[]): AccountRef[] => {
  const unique = new Map(accounts.map((a) => [accountKey(a.userId, a.asset), a]));
  // code-point order on both sides: JavaScript's default sort and Postgres' "C" collation agree, so every
  // transaction, whatever process runs it, takes the locks in the same order
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, a]) => a);
};

const accountRow = (r: Record<string, unknown>): Account => ({
  balanceMinor: BigInt(r.balance_minor as string),
  heldMinor: BigInt(r.held_minor as string),
});

function entryOf(r: Record<string, unknown>): StoredEntry {
  return {
    userId: r.user_id as string,
    id: r.command_id as string,
    leg: Number(r.leg),
    type: domainEnum<CommandType>(r.type),
    asset: r.asset as string,
    amountMinor: BigInt(r.amount_minor as string),
    status: domainEnum<Status>(r.status),
    rejection: (r.rejection as Entry['rejection']) ?? null,
    balanceDeltaMinor: BigInt(r.balance_delta_minor as string),
    heldDeltaMinor: BigInt(r.held_delta_minor as string),
    balanceAfterMinor: BigInt(r.balance_after_minor as string),
    heldAfterMinor: BigInt(r.held_after_minor as string),
    counterparty: (r.counterparty as string | null) ?? null,
    holdId: (r.hold_id as string | null) ?? null,
    reason: (r.reason as string | null) ?? null,
    grant: r.is_grant as boolean,
    // entries written before commands carried it have only the time they were applied
    requestedAtMs: ((r.requested_at ?? r.applied_at) as Date).getTime(),
    appliedAtMs: (r.applied_at as Date).getTime(),
  };
}

function writeOf(r: Record<string, unknown>): RecordedWrite {
  return {
    id: r.write_id as string,
    body: r.body as WriteBody,
    status: domainEnum<Status>(r.status),
    rejection: (r.rejection as RecordedWrite['rejection']) ?? null,
    member: (r.failed_member as number | null) ?? null,
    requestedAtMs: (r.requested_at as Date).getTime(),
  };
}

function holdOf(r: Record<string, unknown>): Hold {
  return {
    id: r.hold_id as string,
    userId: r.user_id as string,
    asset: r.asset as string,
    amountMinor: BigInt(r.amount_minor as string),
    to: (r.payee as string | null) ?? null,
    expiresAtMs: (r.expires_at as Date).getTime(),
    status: (r.status as string).toUpperCase() as HoldStatus,
    capturedMinor: BigInt(r.captured_minor as string),
    reason: (r.reason as string | null) ?? null,
    requestedAtMs: (r.requested_at as Date).getTime(),
  };
}

/**
 * The one place the ledger's enums change case: the domain (and Avro) say 'CREDIT' and 'APPLIED', the ledger's
 * tables say 'credit' and 'applied' (as its SQL literals do). Avro's symbols stay upper case: changing them
 * would break the BACKWARD compatibility the registry holds the schemas to.
 */
const sqlEnum = (value: CommandType | Status) => value.toLowerCase();
const domainEnum = <T extends CommandType | Status>(value: unknown) => (value as string).toUpperCase() as T;
