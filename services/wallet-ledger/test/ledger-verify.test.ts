/**
 * `tally ledger verify` end to end: the CLI (packages/stack) run as an operator runs it, against a ledger of its
 * own that the service wrote, then against the same ledger with one balance corrupted by hand.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '@tally/stack';
import { credit, debit, hold, ledgerWorld, transfer } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof ledgerWorld>>;

beforeAll(async () => {
  world = await ledgerWorld(stack, 'ledger-verify');
  await world.start();
  await world.send([
    credit('alice', 'quests', 1, 5_000),
    credit('bob', 'quests', 2, 1_000),
    debit('alice', 'store', 1, 1_200),
    debit('bob', 'store', 2, 9_999), // overdraws: rejected, an entry that moves nothing
    transfer('alice', 'bob', 'p2p', 1, 700),
    hold('bob', 'store', 3, 300, 3_600_000),
  ]);
  await world.caughtUp();
  await world.decided('store:3', 'bob');
});

afterAll(async () => {
  await world?.close();
});

/** The CLI as a process, from the repository root as `pnpm tally` runs it: its exit code and both outputs. */
function tally(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'packages/stack/src/cli.ts'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: stack.databaseUrl },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

describe('tally ledger verify', () => {
  it('exits 0 on the ledger the service wrote, with its counts', async () => {
    const { code, stdout, stderr } = await tally('ledger', 'verify', '--schema', world.schema);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(lastLine(stdout)).toMatch(
      new RegExp(`^ledger verified: 2 accounts, \\d+ entries, 6 writes, 0 violations in schema ${world.schema}$`),
    );
  });

  it('exits 1 naming balance_sum when a balance no longer matches its entries', async () => {
    // balances has no append-only trigger (ledger_entries has): the corruption an operator's UPDATE could make
    await world.pool.query(
      `UPDATE ${world.schema}.balances SET balance_minor = balance_minor + 1 WHERE user_id = 'alice' AND asset = 'BDP'`,
    );
    const { code, stdout, stderr } = await tally('ledger', 'verify', '--schema', world.schema);
    expect(code).toBe(1);
    expect(stdout).toContain('balance_sum');
    expect(lastLine(stdout)).toMatch(/^ledger NOT verified: .* [1-9]\d* violations/);
    expect(lastLine(stderr)).toMatch(/first violation balance_sum: alice\/BDP: balance 3101 but/);

    const json = await tally('ledger', 'verify', '--schema', world.schema, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, violations: [{ invariant: 'balance_sum' }] });
  });

  it('exits 2 when Postgres cannot be reached, or the schema holds no ledger', async () => {
    const unreachable = await tally('ledger', 'verify', '--database-url', 'postgres://postgres@127.0.0.1:1/postgres');
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain('cannot read the ledger');
    const noLedger = await tally('ledger', 'verify', '--schema', `${world.schema}_none`);
    expect(noLedger.code).toBe(2);
    expect(noLedger.stderr).toContain('no wallet ledger there');
  });
});
