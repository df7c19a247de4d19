/**
 * The process `tally ledger verify` starts (packages/stack may not import a service, so the CLI runs this file):
 * DATABASE_URL from the environment, so the URL's password never shows in a process list; the rest as options.
 * Usage: node --import tsx services/wallet-ledger/src/verify-main.ts [--schema wallet_ledger] [--limit 10] [--json]
 */
import { parseArgs } from 'node:util';
import { DEFAULT_VIOLATION_LIMIT, VERIFY_EXIT, verifyLedgerCommand } from './verify-command.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      schema: { type: 'string', default: 'wallet_ledger' },
      limit: { type: 'string', default: String(DEFAULT_VIOLATION_LIMIT) },
      json: { type: 'boolean', default: false },
    },
  });
  const databaseUrl = process.env.DATABASE_URL;
  const limit = Number(values.limit);
  if (!databaseUrl || !Number.isInteger(limit) || limit < 1) {
    console.error('tally ledger verify: needs DATABASE_URL in the environment and --limit a whole number above 0');
    return VERIFY_EXIT.unreadable;
  }
  return verifyLedgerCommand({ databaseUrl, schema: values.schema, json: values.json, limit });
}

// whatever goes wrong before a verdict is "could not verify" (2), never a 1 that would read as a violation
process.exitCode = await main().catch((error: unknown) => {
  console.error(`tally ledger verify: ${error instanceof Error ? error.message : String(error)}`);
  return VERIFY_EXIT.unreadable;
});
