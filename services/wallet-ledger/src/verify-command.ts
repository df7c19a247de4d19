/**
 * `tally ledger verify`: every invariant of a wallet ledger's schema checked (verifyLedger), each violation
 * printed, and an exit code a script or a job can act on: 0 none, 1 some (the first one named on the last line,
 * on stderr), 2 the ledger could not be read (Postgres unreachable, no ledger in that schema). The tally CLI
 * (@tally/stack) runs it as a process, verify-main.ts, since a package may not import a service (`pnpm deps`);
 * the fault suite calls auditLedger through the package entry.
 */
import { assertSqlIdentifier } from '@tally/config';
import { createPool, type Pool } from '@tally/storage';
import { verifyLedger, type Violation } from './adapters/ledger-audit.js';

/** How much the verify looked at: rows of balances (one per user and asset), ledger entries, and writes. */
export interface LedgerCounts {
  accounts: number;
  entries: number;
  writes: number;
}

export interface LedgerAudit {
  counts: LedgerCounts;
  violations: Violation[];
}

export interface VerifyCommandOptions {
  databaseUrl: string;
  schema: string;
  json?: boolean;
  /** At most this many violations of each invariant (verifyLedger's limit). */
  limit?: number;
}

/** Where the command's lines go: stdout and stderr for the CLI, arrays in tests. */
export interface VerifyOutput {
  out(line: string): void;
  err(line: string): void;
}

/** Reads the ledger; throws when it cannot (the command's exit 2). Swapped for a fake in unit tests. */
export type LedgerAuditor = (options: VerifyCommandOptions) => Promise<LedgerAudit>;

export const VERIFY_EXIT = { verified: 0, violated: 1, unreadable: 2 } as const;
export type VerifyExitCode = (typeof VERIFY_EXIT)[keyof typeof VERIFY_EXIT];

export const DEFAULT_VIOLATION_LIMIT = 10;

const consoleOutput: VerifyOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** Runs the verify and prints it; answers the exit code (the caller sets it, so tests can run it in-process). */
export async function verifyLedgerCommand(
  options: VerifyCommandOptions,
  output: VerifyOutput = consoleOutput,
  audit: LedgerAuditor = auditOverPostgres,
): Promise<VerifyExitCode> {
  let result: LedgerAudit;
  try {
    result = await audit(options);
  } catch (error) {
    output.err(
      `tally ledger verify: cannot read the ledger in schema ${options.schema} at ${redactUrl(options.databaseUrl)}: ${messageOf(error)}`,
    );
    return VERIFY_EXIT.unreadable;
  }
  const report = verifyReport(options.schema, result, {
    json: options.json ?? false,
    limit: options.limit ?? DEFAULT_VIOLATION_LIMIT,
  });
  for (const line of report.out) output.out(line);
  for (const line of report.err) output.err(line);
  return report.exitCode;
}

/**
 * What a finished verify prints: each violation and a summary on stdout (or one JSON document), and when any
 * invariant is broken, the first violation on stderr as the last line, so a job's log tail says what failed.
 */
export function verifyReport(
  schema: string,
  { counts, violations }: LedgerAudit,
  options: { json: boolean; limit: number },
): { out: string[]; err: string[]; exitCode: VerifyExitCode } {
  const first = violations[0];
  const err = first ? [`tally ledger verify: FAILED, first violation ${first.invariant}: ${first.detail}`] : [];
  const exitCode = first ? VERIFY_EXIT.violated : VERIFY_EXIT.verified;
  // verifyLedger stops at `limit` per invariant: a count that reached it may hide more of the same
  const capped = [...countBy(violations)].filter(([, n]) => n >= options.limit).map(([invariant]) => invariant);
  if (options.json)
    return {
      out: [
        JSON.stringify({ schema, ok: !first, ...counts, violations, cappedAt: capped.length ? options.limit : null }),
      ],
      err,
      exitCode,
    };
  const width = Math.max(0, ...violations.map((v) => v.invariant.length));
  const summary =
    `ledger ${first ? 'NOT verified' : 'verified'}: ${counts.accounts} accounts, ${counts.entries} entries, ${counts.writes} writes, ` +
    `${violations.length} violations in schema ${schema}` +
    (capped.length ? ` (at most ${options.limit} shown of ${capped.join(', ')}: there may be more)` : '');
  return { out: [...violations.map((v) => `${v.invariant.padEnd(width)}  ${v.detail}`), summary], err, exitCode };
}

/** The counts and the violations, over a pool of its own that is closed whatever happens. */
export const auditOverPostgres: LedgerAuditor = async ({ databaseUrl, schema, limit }) => {
  const pool = createPool(databaseUrl, 2);
  try {
    return await auditLedger(pool, schema, limit);
  } finally {
    await pool.end().catch(() => undefined);
  }
};

/** Counts first: they also refuse a schema that holds no ledger, before any check would fail on it. */
export async function auditLedger(pool: Pool, schema: string, limit = DEFAULT_VIOLATION_LIMIT): Promise<LedgerAudit> {
  const counts = await ledgerCounts(pool, schema);
  return { counts, violations: await verifyLedger(pool, schema, limit) };
}

/** Full counts (the verify scans every row anyway); throws a sentence when the schema has no ledger tables. */
export async function ledgerCounts(pool: Pool, schema: string): Promise<LedgerCounts> {
  assertSqlIdentifier(schema);
  const tables = ['balances', 'ledger_entries', 'ledger_writes'];
  const { rows: found } = await pool.query<{ missing: string[] }>(
    `SELECT array_agg(t) FILTER (WHERE to_regclass($1 || '.' || t) IS NULL) AS missing FROM unnest($2::text[]) t`,
    [schema, tables],
  );
  const missing = found[0]?.missing ?? [];
  if (missing.length > 0)
    throw new Error(
      `no wallet ledger there (missing ${missing.join(', ')}): is the schema right (the ledger's DB_SCHEMA), and has the ledger started on it (it migrates at start)?`,
    );
  const { rows } = await pool.query<Record<keyof LedgerCounts, string>>(
    `SELECT (SELECT count(*) FROM ${schema}.balances) AS accounts,
            (SELECT count(*) FROM ${schema}.ledger_entries) AS entries,
            (SELECT count(*) FROM ${schema}.ledger_writes) AS writes`,
  );
  const row = rows[0]!;
  return { accounts: Number(row.accounts), entries: Number(row.entries), writes: Number(row.writes) };
}

function countBy(violations: Violation[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of violations) counts.set(v.invariant, (counts.get(v.invariant) ?? 0) + 1);
  return counts;
}

/** A URL as printed: never its password. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unreadable DATABASE_URL)';
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(messageOf).join('; ');
  return error instanceof Error ? error.message || error.name : String(error);
}
