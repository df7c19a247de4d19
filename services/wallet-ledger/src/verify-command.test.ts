import { describe, expect, it } from 'vitest';
import { VERIFY_EXIT, verifyLedgerCommand, type LedgerAudit, type VerifyCommandOptions } from './verify-command.js';

const OPTIONS: VerifyCommandOptions = { databaseUrl: 'postgres://tally:secret@db:5432/tally', schema: 'wallet_ledger' };
const COUNTS = { accounts: 3, entries: 7, writes: 5 };

/** The command run in-process with a fake audit: what it printed where, and its exit code. */
async function run(audit: () => Promise<LedgerAudit>, options: Partial<VerifyCommandOptions> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await verifyLedgerCommand(
    { ...OPTIONS, ...options },
    { out: (l) => out.push(l), err: (l) => err.push(l) },
    audit,
  );
  return { code, out, err };
}

const violated =
  (...violations: [string, string][]): (() => Promise<LedgerAudit>) =>
  async () => ({ counts: COUNTS, violations: violations.map(([invariant, detail]) => ({ invariant, detail })) });

describe('tally ledger verify', () => {
  it('exits 0 with the summary when no invariant is broken, and prints nothing on stderr', async () => {
    const { code, out, err } = await run(violated());
    expect(code).toBe(VERIFY_EXIT.verified);
    expect(out).toEqual(['ledger verified: 3 accounts, 7 entries, 5 writes, 0 violations in schema wallet_ledger']);
    expect(err).toEqual([]);
  });

  it('exits 1 printing every violation, and names the first one on stderr as the last line', async () => {
    const { code, out, err } = await run(
      violated(
        ['balance_sum', 'u1/coins: balance 101 but its applied entries sum to 100'],
        ['balance_chain', 'u1/coins entry s:1#0: balanceAfter 100, but the entries before it and it sum to 99'],
      ),
    );
    expect(code).toBe(VERIFY_EXIT.violated);
    expect(out).toEqual([
      'balance_sum    u1/coins: balance 101 but its applied entries sum to 100',
      'balance_chain  u1/coins entry s:1#0: balanceAfter 100, but the entries before it and it sum to 99',
      'ledger NOT verified: 3 accounts, 7 entries, 5 writes, 2 violations in schema wallet_ledger',
    ]);
    expect(err).toEqual([
      'tally ledger verify: FAILED, first violation balance_sum: u1/coins: balance 101 but its applied entries sum to 100',
    ]);
  });

  it('says when an invariant reached the limit, since more of it may be hidden', async () => {
    const { out } = await run(violated(['held_sum', 'a'], ['held_sum', 'b'], ['negative_available', 'c']), {
      limit: 2,
    });
    expect(out.at(-1)).toBe(
      'ledger NOT verified: 3 accounts, 7 entries, 5 writes, 3 violations in schema wallet_ledger (at most 2 shown of held_sum: there may be more)',
    );
  });

  it('prints one JSON document with --json, and still names the first violation on stderr', async () => {
    const { code, out, err } = await run(violated(['write_unrecorded', 'entry u/s:1#0 has no write of that id']), {
      json: true,
    });
    expect(code).toBe(VERIFY_EXIT.violated);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]!)).toEqual({
      schema: 'wallet_ledger',
      ok: false,
      ...COUNTS,
      violations: [{ invariant: 'write_unrecorded', detail: 'entry u/s:1#0 has no write of that id' }],
      cappedAt: null,
    });
    expect(err).toHaveLength(1);
    expect(err[0]).toContain('write_unrecorded');
  });

  it('exits 2 when the ledger cannot be read, naming where without the password', async () => {
    const { code, out, err } = await run(async () => {
      throw new AggregateError([
        new Error('connect ECONNREFUSED ::1:5432'),
        new Error('connect ECONNREFUSED 127.0.0.1:5432'),
      ]);
    });
    expect(code).toBe(VERIFY_EXIT.unreadable);
    expect(out).toEqual([]);
    expect(err).toEqual([
      'tally ledger verify: cannot read the ledger in schema wallet_ledger at postgres://tally:***@db:5432/tally: connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    ]);
  });
});
