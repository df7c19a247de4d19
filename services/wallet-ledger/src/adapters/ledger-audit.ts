import { assertSqlIdentifier } from '@tally/config';
import type { Pool } from '@tally/storage';

export interface Violation {
  /** Which invariant: balance_sum, held_sum, holds_accounted, negative_available, balance_chain, held_chain, transfer_unbalanced, write_unrecorded. */
  invariant: string;
  /** The account or write that breaks it, and the numbers that disagree. */
  detail: string;
}

/**
 * Every invariant of the ledger, checked by full scans (for `tally ledger verify`, the fault suite and tests; not
 * for the request path). Returns the violations, in the order the checks run (at most `limit` of each); none on a
 * correct ledger. Each check is one statement, so each reads one consistent snapshot of what it compares.
 */
export async function verifyLedger(pool: Pool, schema: string, limit = 10): Promise<Violation[]> {
  assertSqlIdentifier(schema);
  const violations: Violation[] = [];
  for (const [invariant, sql] of checks(schema)) {
    const { rows } = await pool.query(`${sql} LIMIT ${Number(limit)}`);
    for (const row of rows) violations.push({ invariant, detail: row.detail as string });
  }
  return violations;
}

function checks(s: string): [string, string][] {
  const sums = `SELECT user_id, asset, sum(balance_delta_minor) AS balance, sum(held_delta_minor) AS held
                FROM ${s}.ledger_entries WHERE status = 'applied' GROUP BY user_id, asset`;
  const account = `coalesce(b.user_id, x.user_id) || '/' || coalesce(b.asset, x.asset)`;
  return [
    [
      'balance_sum',
      `WITH x AS (${sums}) SELECT ${account} || ': balance ' || coalesce(b.balance_minor, 0) || ' but its applied entries sum to ' || coalesce(x.balance, 0) AS detail
       FROM ${s}.balances b FULL JOIN x ON b.user_id = x.user_id AND b.asset = x.asset
       WHERE coalesce(b.balance_minor, 0) <> coalesce(x.balance, 0)`,
    ],
    [
      'held_sum',
      `WITH x AS (${sums}) SELECT ${account} || ': held ' || coalesce(b.held_minor, 0) || ' but its applied entries hold ' || coalesce(x.held, 0) AS detail
       FROM ${s}.balances b FULL JOIN x ON b.user_id = x.user_id AND b.asset = x.asset
       WHERE coalesce(b.held_minor, 0) <> coalesce(x.held, 0)`,
    ],
    [
      'holds_accounted',
      `WITH x AS (SELECT user_id, asset, sum(amount_minor) AS pending FROM ${s}.holds WHERE status = 'pending' GROUP BY user_id, asset)
       SELECT ${account} || ': held ' || coalesce(b.held_minor, 0) || ' but its pending holds keep ' || coalesce(x.pending, 0) AS detail
       FROM ${s}.balances b FULL JOIN x ON b.user_id = x.user_id AND b.asset = x.asset
       WHERE coalesce(b.held_minor, 0) <> coalesce(x.pending, 0)`,
    ],
    [
      'negative_available',
      `SELECT user_id || '/' || asset || ': balance ' || balance_minor || ', held ' || held_minor AS detail
       FROM ${s}.balances WHERE balance_minor < 0 OR held_minor < 0 OR held_minor > balance_minor`,
    ],
    [
      'balance_chain',
      `SELECT user_id || '/' || asset || ' entry ' || command_id || '#' || leg || ': balanceAfter ' || balance_after_minor || ', but the entries before it and it sum to ' || running AS detail
       FROM (SELECT *, sum(CASE WHEN status = 'applied' THEN balance_delta_minor ELSE 0 END)
                         OVER (PARTITION BY user_id, asset ORDER BY entry_no) AS running
             FROM ${s}.ledger_entries) e
       WHERE balance_after_minor <> running`,
    ],
    [
      'held_chain',
      `SELECT user_id || '/' || asset || ' entry ' || command_id || '#' || leg || ': heldAfter ' || held_after_minor || ', but the entries before it and it hold ' || running AS detail
       FROM (SELECT *, sum(CASE WHEN status = 'applied' THEN held_delta_minor ELSE 0 END)
                         OVER (PARTITION BY user_id, asset ORDER BY entry_no) AS running
             FROM ${s}.ledger_entries) e
       WHERE held_after_minor <> running`,
    ],
    [
      'transfer_unbalanced',
      `SELECT 'write ' || command_id || ': its transfer sides move ' || sum(balance_delta_minor) || ' in total, not 0' AS detail
       FROM ${s}.ledger_entries WHERE type = 'transfer' AND status = 'applied' GROUP BY command_id HAVING sum(balance_delta_minor) <> 0`,
    ],
    [
      'write_unrecorded',
      `SELECT 'entry ' || e.user_id || '/' || e.command_id || '#' || e.leg || ' has no write of that id' AS detail
       FROM ${s}.ledger_entries e LEFT JOIN ${s}.ledger_writes w ON w.write_id = e.command_id WHERE w.write_id IS NULL`,
    ],
  ];
}
