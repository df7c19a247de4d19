import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LEDGER_VERIFY_MAIN, ledgerVerifyCommand } from './ledger-verify.js';

describe('tally ledger verify as a child process', () => {
  const url = 'postgres://tally:secret@db:5432/tally';

  it('runs the wallet ledger’s verify-main.ts, which is where the CLI expects it', () => {
    expect(existsSync(LEDGER_VERIFY_MAIN)).toBe(true);
  });

  it('hands the database URL over in DATABASE_URL, never in the arguments a process list shows', () => {
    const { command, args, env } = ledgerVerifyCommand(
      { databaseUrl: url, schema: 'wallet_ledger', limit: 10, json: true },
      { DATABASE_URL: 'postgres://elsewhere/x', DATABASE_SSLMODE: 'require' },
    );
    expect(command).toBe(process.execPath);
    expect(args).toEqual([
      '--import',
      'tsx',
      LEDGER_VERIFY_MAIN,
      '--schema',
      'wallet_ledger',
      '--limit',
      '10',
      '--json',
    ]);
    expect(args.join(' ')).not.toContain('secret');
    expect(env).toEqual({ DATABASE_URL: url, DATABASE_SSLMODE: 'require' });
  });
});
