/**
 * `tally ledger verify` from the CLI. The verify is the wallet ledger's own (its invariants are its business), and
 * a package may not import a service (`pnpm deps`: packages-not-to-services), so the CLI runs the ledger's
 * verify-main as a child process, as services are started: from the sources with `node --import tsx`, or, where
 * this module is itself compiled (the image), the ledger's compiled dist/verify-main.js with plain node. It exits
 * with the child's code: 0 verified, 1 violations, 2 the ledger could not be read.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

const compiled = import.meta.url.endsWith('.js');
export const LEDGER_VERIFY_MAIN = compiled
  ? join(repoRoot, 'services', 'wallet-ledger', 'dist', 'verify-main.js')
  : join(repoRoot, 'services', 'wallet-ledger', 'src', 'verify-main.ts');

/** The exit code meaning "could not verify" (never 1, which says the ledger is wrong). */
export const CANNOT_VERIFY = 2;

export interface LedgerVerifyOptions {
  databaseUrl: string;
  schema: string;
  limit: number;
  json: boolean;
}

/**
 * The child's command line and environment. The database URL goes in DATABASE_URL, not the arguments, so its
 * password never shows in a process list; the rest of the environment (DATABASE_SSLMODE, ...) passes through.
 */
export function ledgerVerifyCommand(
  options: LedgerVerifyOptions,
  environment: NodeJS.ProcessEnv = process.env,
): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: process.execPath,
    args: [
      ...(compiled ? [] : ['--import', 'tsx']),
      LEDGER_VERIFY_MAIN,
      '--schema',
      options.schema,
      '--limit',
      String(options.limit),
      ...(options.json ? ['--json'] : []),
    ],
    env: { ...environment, DATABASE_URL: options.databaseUrl },
  };
}

/**
 * Runs the verify with this process's stdout and stderr; resolves with its exit code. The database URL is
 * resolved here (it may read the platform's configuration, which throws on a bad environment): any failure
 * before the child answers is CANNOT_VERIFY.
 */
export async function runLedgerVerify(
  options: Omit<LedgerVerifyOptions, 'databaseUrl'> & { databaseUrl: () => string },
): Promise<number> {
  if (!existsSync(LEDGER_VERIFY_MAIN)) {
    console.error(`tally ledger verify: ${LEDGER_VERIFY_MAIN} is not there: this checkout has no wallet ledger`);
    return CANNOT_VERIFY;
  }
  let databaseUrl: string;
  try {
    databaseUrl = options.databaseUrl();
  } catch (error) {
    console.error(`tally ledger verify: no database URL: ${error instanceof Error ? error.message : String(error)}`);
    return CANNOT_VERIFY;
  }
  const { command, args, env } = ledgerVerifyCommand({ ...options, databaseUrl });
  // from the repository (or app) root, where `tsx` resolves, whatever the caller's working directory
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.once('error', (error) => {
      console.error(`tally ledger verify: could not start it: ${error.message}`);
      resolve(CANNOT_VERIFY);
    });
    // killed by a signal: no verdict
    child.once('exit', (code) => resolve(code ?? CANNOT_VERIFY));
  });
}
