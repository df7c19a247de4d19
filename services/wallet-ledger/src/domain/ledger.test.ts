import { describe, expect, it } from 'vitest';
import { MAX_BALANCE_MINOR, balanceKey, commandKey, decide, refusal, type Command, type Entry } from './ledger.js';

let n = 0;
const command = (change: Partial<Command>): Command => ({
  userId: 'u1',
  id: `src:${n++}`,
  type: 'CREDIT',
  asset: 'BDP',
  amountMinor: 100n,
  reason: null,
  grant: false,
  requestedAtMs: 1_000,
  ...change,
});

describe('the ledger rule', () => {
  it('credits add and debits subtract, in order', () => {
    const d = decide(
      [command({ amountMinor: 500n }), command({ type: 'DEBIT', amountMinor: 200n }), command({ amountMinor: 1n })],
      new Map(),
      new Map(),
    );
    expect(d.entries.map((e) => [e.status, e.balanceAfterMinor])).toEqual([
      ['APPLIED', 500n],
      ['APPLIED', 300n],
      ['APPLIED', 301n],
    ]);
    expect(d.balances.get(balanceKey('u1', 'BDP'))).toBe(301n);
  });

  it('rejects a debit that would go below zero, records it, and leaves the balance', () => {
    const d = decide(
      [command({ type: 'DEBIT', amountMinor: 101n })],
      new Map([[balanceKey('u1', 'BDP'), 100n]]),
      new Map(),
    );
    expect(d.entries[0]).toMatchObject({
      status: 'REJECTED',
      rejection: 'insufficient_funds',
      balanceAfterMinor: 100n,
    });
    expect(d.balances.size).toBe(0);
    expect(
      decide([command({ type: 'DEBIT', amountMinor: 100n })], new Map([[balanceKey('u1', 'BDP'), 100n]]), new Map())
        .entries[0]!.balanceAfterMinor,
    ).toBe(0n);
  });

  it('keeps balances per user and asset apart', () => {
    const d = decide(
      [
        command({ asset: 'A' }),
        command({ asset: 'B', amountMinor: 7n }),
        command({ userId: 'u2', asset: 'A', amountMinor: 3n }),
      ],
      new Map(),
      new Map(),
    );
    expect(d.balances).toEqual(
      new Map([
        [balanceKey('u1', 'A'), 100n],
        [balanceKey('u1', 'B'), 7n],
        [balanceKey('u2', 'A'), 3n],
      ]),
    );
  });

  it('applies a command once: a repeat in the batch or one already recorded answers the first outcome', () => {
    const first = command({ id: 'grant:1', amountMinor: 50n });
    const d = decide(
      [first, { ...first }, command({ id: 'grant:1', userId: 'u2', amountMinor: 50n })],
      new Map(),
      new Map(),
    );
    expect(d.entries).toHaveLength(2); // u1 and u2 each get the grant once
    expect(d.outcomes).toHaveLength(3);
    expect(d.outcomes[1]).toBe(d.outcomes[0]);
    const recorded = new Map<string, Entry>([[commandKey('u1', 'grant:1'), d.entries[0]!]]);
    const again = decide([first], new Map([[balanceKey('u1', 'BDP'), 50n]]), recorded);
    expect(again.entries).toHaveLength(0);
    expect(again.outcomes[0]).toBe(d.entries[0]);
    expect(again.balances.size).toBe(0);
  });

  it('rejects a credit that would pass the largest exact balance', () => {
    const d = decide(
      [command({ amountMinor: 2n })],
      new Map([[balanceKey('u1', 'BDP'), MAX_BALANCE_MINOR - 1n]]),
      new Map(),
    );
    expect(d.entries[0]).toMatchObject({ status: 'REJECTED', rejection: 'balance_limit_exceeded' });
  });

  it('refuses what the gateway never writes', () => {
    expect(refusal(command({ amountMinor: 0n }))).toMatch(/positive/);
    expect(refusal(command({ asset: '' }))).toMatch(/asset/);
    expect(refusal(command({}))).toBeUndefined();
  });
});
