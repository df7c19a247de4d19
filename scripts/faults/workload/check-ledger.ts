/**
 * `tally ledger verify` after every fault: the wallet ledger's own invariants over its whole Postgres schema
 * (auditLedger of @tally/wallet-ledger, what the CLI runs), beside check-wallet.ts's comparison with the model.
 * The model sees what the API answers for the workload's users; this sees every row, the holds and the writes
 * table too, so a crash that left a balance out of step with its entries fails here even where no read shows it.
 */
import { createPool } from '@tally/storage';
import { auditLedger } from '@tally/wallet-ledger';
import type { InvariantResult } from '../invariant-result.js';
import { unreadable } from './verdicts.js';

/** Its name in the report (which also finds its checks by it). */
export const LEDGER_VERIFY_INVARIANT =
  'tally ledger verify: the ledger’s own invariants over its whole schema (sums, holds, chains, transfers, writes)';

/** A pool of its own per check: the Postgres fault restarts the server, and an old pool's clients die with it. */
export async function checkLedgerVerify(databaseUrl: string, schema: string): Promise<InvariantResult> {
  const pool = createPool(databaseUrl, 1);
  try {
    const { counts, violations } = await auditLedger(pool, schema);
    const first = violations[0];
    return {
      product: 'wallet',
      invariant: LEDGER_VERIFY_INVARIANT,
      ok: violations.length === 0,
      expected: `0 violations in schema ${schema}`,
      observed:
        `${violations.length} violations over ${counts.accounts} accounts, ${counts.entries} entries, ${counts.writes} writes` +
        (first ? `; first ${first.invariant}: ${first.detail}` : ''),
      violations: violations.length,
    };
  } catch (error) {
    return unreadable('wallet', LEDGER_VERIFY_INVARIANT, error);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
