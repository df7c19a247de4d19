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
  const pending = `SELECT user_id, asset, sum(amount_minor) AS held FROM ${s}.holds WHERE status = 'pending' GROUP BY user_id, asset`;
  /** An account whose column disagrees with what `x` (per user and asset) says it should be. */
  const against = (x: string, column: string, expected: string, says: string) =>
    `WITH x AS (${x}) SELECT coalesce(b.user_id, x.user_id) || '/' || coalesce(b.asset, x.asset) || ': ${column.replace('_minor', '')} '
       || coalesce(b.${column}, 0) || ' but ${says} ' || coalesce(x.${expected}, 0) AS detail
     FROM ${s}.balances b FULL JOIN x ON b.user_id = x.user_id AND b.asset = x.asset
     WHERE coalesce(b.${column}, 0) <> coalesce(x.${expected}, 0)`;
  /** An entry whose running figure after it is not the sum of the applied deltas up to it, in entry order. */
  const chain = (after: string, delta: string, name: string) =>
    `SELECT user_id || '/' || asset || ' entry ' || command_id || '#' || leg || ': ${name} ' || ${after}
       || ', but the entries up to it sum to ' || running AS detail
     FROM (SELECT *, sum(CASE WHEN status = 'applied' THEN ${delta} ELSE 0 END)
                       OVER (PARTITION BY user_id, asset ORDER BY entry_no) AS running
           FROM ${s}.ledger_entries) e
     WHERE ${after} <> running`;
  return [
    ['balance_sum', against(sums, 'balance_minor', 'balance', 'its applied entries sum to')],
    ['held_sum', against(sums, 'held_minor', 'held', 'its applied entries hold')],
    ['holds_accounted', against(pending, 'held_minor', 'held', 'its pending holds keep')],
    [
      'negative_available',
      `SELECT user_id || '/' || asset || ': balance ' || balance_minor || ', held ' || held_minor AS detail
       FROM ${s}.balances WHERE balance_minor < 0 OR held_minor < 0 OR held_minor > balance_minor`,
    ],
    ['balance_chain', chain('balance_after_minor', 'balance_delta_minor', 'balanceAfter')],
    ['held_chain', chain('held_after_minor', 'held_delta_minor', 'heldAfter')],
    [
      // what a transfer or a capture paid to its payee takes from one side it gives to the other
      'transfer_unbalanced',
      `SELECT 'write ' || command_id || ': its sides move ' || sum(balance_delta_minor) || ' in total, not 0' AS detail
       FROM ${s}.ledger_entries
       WHERE status = 'applied' AND (type = 'transfer' OR (type = 'capture' AND counterparty IS NOT NULL))
       GROUP BY command_id HAVING sum(balance_delta_minor) <> 0`,
    ],
    [
      'write_unrecorded',
      `SELECT 'entry ' || e.user_id || '/' || e.command_id || '#' || e.leg || ' has no write of that id' AS detail
       FROM ${s}.ledger_entries e LEFT JOIN ${s}.ledger_writes w ON w.write_id = e.command_id WHERE w.write_id IS NULL`,
    ],
  ];
}
