/**
 * What the wallet ledger offers outside itself (scripts, tests, deploy's checks), through its package entry point
 * (@tally/wallet-ledger); its inside (domain, adapters, wiring) is its own, and `pnpm deps` keeps others out of it.
 * It runs from src/main.ts.
 */
export { loadConfig } from './config.js';
export { verifyLedger, type Violation } from './adapters/ledger-audit.js';
export { auditLedger, verifyLedgerCommand, type LedgerAudit, type LedgerCounts } from './verify-command.js';
