import { describe, expect, it } from 'vitest';
import { LedgerModel, MAX_BALANCE, credit, debit, funded, group, hold, member, transfer } from './test-support.js';

/** What an entry did, in short: user, leg, type, status, rejection, balance delta and after, counterparty. */
const brief = (e: {
  userId: string;
  leg: number;
  type: string;
  status: string;
  rejection: string | null;
  balanceDeltaMinor: bigint;
  balanceAfterMinor: bigint;
  counterparty: string | null;
}) => [e.userId, e.leg, e.type, e.status, e.rejection, e.balanceDeltaMinor, e.balanceAfterMinor, e.counterparty];

describe('transfers: both sides or neither', () => {
  it('debits the sender (leg 0) and credits the receiver (leg 1), each naming the other', () => {
    const model = funded({ alice: 100n, bob: 5n });
    const t = transfer('alice', 'bob', 60n);
    const d = model.apply([t]);
    expect(d.entries.map(brief)).toEqual([
      ['alice', 0, 'TRANSFER', 'APPLIED', null, -60n, 40n, 'bob'],
      ['bob', 1, 'TRANSFER', 'APPLIED', null, 60n, 65n, 'alice'],
    ]);
    expect(d.entries.every((e) => e.id === t.id && e.amountMinor === 60n)).toBe(true);
    expect(d.outcomes[0]!.entries).toEqual(d.entries);
    expect([model.account('alice').balanceMinor, model.account('bob').balanceMinor]).toEqual([40n, 65n]);
  });

  it('may take all that is available, and no more', () => {
    const model = funded({ alice: 100n });
    expect(model.apply([transfer('alice', 'bob', 100n)]).entries[0]!.status).toBe('APPLIED');
    expect(model.account('alice').balanceMinor).toBe(0n);
  });

  it('never overdraws the sender: one rejected entry, the sender’s, and nothing moved', () => {
    const model = funded({ alice: 100n, bob: 5n });
    const d = model.apply([transfer('alice', 'bob', 101n)]);
    expect(d.entries.map(brief)).toEqual([['alice', 0, 'TRANSFER', 'REJECTED', 'insufficient_funds', 0n, 100n, 'bob']]);
    expect(d.writes[0]).toMatchObject({ status: 'REJECTED', rejection: 'insufficient_funds', member: null });
    expect(d.accounts.size).toBe(0);
    expect([model.account('alice').balanceMinor, model.account('bob').balanceMinor]).toEqual([100n, 5n]);
  });

  it('counts what holds keep as not available to send', () => {
    const model = funded({ alice: 100n });
    model.apply([hold('alice', 30n)]);
    expect(model.apply([transfer('alice', 'bob', 71n)]).entries[0]!.rejection).toBe('insufficient_funds');
    expect(model.apply([transfer('alice', 'bob', 70n)]).entries[0]!.status).toBe('APPLIED');
  });

  it("respects the receiver's largest balance: balance_limit_exceeded, and the sender keeps the amount", () => {
    const model = funded({ alice: 100n, bob: MAX_BALANCE });
    const d = model.apply([transfer('alice', 'bob', 1n)]);
    expect(d.entries.map(brief)).toEqual([
      ['alice', 0, 'TRANSFER', 'REJECTED', 'balance_limit_exceeded', 0n, 100n, 'bob'],
    ]);
    expect(d.accounts.size).toBe(0);
  });

  it('runs in order within a batch: a transfer can spend a credit made before it', () => {
    const model = new LedgerModel();
    const d = model.apply([transfer('alice', 'bob', 10n), credit('alice', 10n), transfer('alice', 'bob', 10n)]);
    expect(d.entries.map((e) => [e.userId, e.status])).toEqual([
      ['alice', 'REJECTED'],
      ['alice', 'APPLIED'],
      ['alice', 'APPLIED'],
      ['bob', 'APPLIED'],
    ]);
  });
});

describe('linked groups: members in order, all or none', () => {
  it('applies its members in order, so a later member may spend what an earlier one credited', () => {
    const model = new LedgerModel();
    const g = group([member('alice', 'CREDIT', 50n), member('alice', 'DEBIT', 50n), member('bob', 'CREDIT', 1n)], {
      reason: 'bundle',
    });
    const d = model.apply([g]);
    expect(d.entries.map(brief)).toEqual([
      ['alice', 0, 'CREDIT', 'APPLIED', null, 50n, 50n, null],
      ['alice', 1, 'DEBIT', 'APPLIED', null, -50n, 0n, null],
      ['bob', 2, 'CREDIT', 'APPLIED', null, 1n, 1n, null],
    ]);
    expect(d.entries.every((e) => e.id === g.id && e.reason === 'bundle')).toBe(true);
    expect(d.writes[0]).toMatchObject({ status: 'APPLIED', member: null, body: { type: 'GROUP' } });
    expect(d.outcomes[0]).toMatchObject({ member: null });
  });

  it('applies nothing when its LAST member overdraws: every member recorded rejected with its reason and index', () => {
    const model = funded({ alice: 100n, bob: 10n });
    const g = group([
      member('alice', 'DEBIT', 40n),
      member('bob', 'CREDIT', 5n),
      member('alice', 'TRANSFER', 10n, { to: 'bob' }),
      member('bob', 'DEBIT', 26n), // bob has 10 + 5 + 10 by then
    ]);
    const d = model.apply([g]);
    expect(d.entries.map(brief)).toEqual([
      ['alice', 0, 'DEBIT', 'REJECTED', 'insufficient_funds', 0n, 100n, null],
      ['bob', 1, 'CREDIT', 'REJECTED', 'insufficient_funds', 0n, 10n, null],
      ['alice', 2, 'TRANSFER', 'REJECTED', 'insufficient_funds', 0n, 100n, 'bob'],
      ['bob', 3, 'DEBIT', 'REJECTED', 'insufficient_funds', 0n, 10n, null],
    ]);
    expect(d.outcomes[0]!.member).toBe(3);
    expect(d.writes[0]).toMatchObject({ status: 'REJECTED', rejection: 'insufficient_funds', member: 3 });
    expect(d.accounts.size).toBe(0);
    expect([model.account('alice').balanceMinor, model.account('bob').balanceMinor]).toEqual([100n, 10n]);
  });

  it('names the first failing member even when a later one would fail too', () => {
    const model = funded({ alice: 10n });
    const d = model.apply([
      group([member('alice', 'DEBIT', 5n), member('alice', 'DEBIT', 6n), member('alice', 'DEBIT', 99n)]),
    ]);
    expect(d.outcomes[0]!.member).toBe(1);
    expect(new Set(d.entries.map((e) => e.rejection))).toEqual(new Set(['insufficient_funds']));
  });

  it('moves both sides of a transfer member, the receiver on the member’s leg', () => {
    const model = funded({ alice: 100n });
    const d = model.apply([
      group([
        member('carol', 'CREDIT', 7n),
        member('alice', 'TRANSFER', 30n, { to: 'bob' }),
        member('bob', 'DEBIT', 30n),
      ]),
    ]);
    expect(d.entries.map(brief)).toEqual([
      ['carol', 0, 'CREDIT', 'APPLIED', null, 7n, 7n, null],
      ['alice', 1, 'TRANSFER', 'APPLIED', null, -30n, 70n, 'bob'],
      ['bob', 1, 'TRANSFER', 'APPLIED', null, 30n, 30n, 'alice'],
      ['bob', 2, 'DEBIT', 'APPLIED', null, -30n, 0n, null],
    ]);
    expect([model.account('alice').balanceMinor, model.account('bob').balanceMinor]).toEqual([70n, 0n]);
  });

  it("rejects the whole group when a transfer member would pass the receiver's limit", () => {
    const model = funded({ alice: 100n, bob: MAX_BALANCE - 1n });
    const d = model.apply([group([member('alice', 'DEBIT', 1n), member('alice', 'TRANSFER', 2n, { to: 'bob' })])]);
    expect(d.outcomes[0]!.member).toBe(1);
    expect(d.entries.map(brief)).toEqual([
      ['alice', 0, 'DEBIT', 'REJECTED', 'balance_limit_exceeded', 0n, 100n, null],
      ['alice', 1, 'TRANSFER', 'REJECTED', 'balance_limit_exceeded', 0n, 100n, 'bob'],
    ]);
    expect(d.accounts.size).toBe(0);
  });

  it('keeps a member’s own reason, else the group’s', () => {
    const d = new LedgerModel().apply([
      group([member('a', 'CREDIT', 1n, { reason: 'own' }), member('b', 'CREDIT', 1n)], { reason: 'group' }),
    ]);
    expect(d.entries.map((e) => e.reason)).toEqual(['own', 'group']);
  });

  it('answers a retry of a rejected group with its entries and failing member, even once it would apply', () => {
    const model = funded({ alice: 10n });
    const g = group([member('alice', 'DEBIT', 5n), member('alice', 'DEBIT', 6n)]);
    const first = model.apply([g]);
    model.apply([credit('alice', 100n)]);
    const again = model.apply([{ ...g }]);
    expect(again.entries).toEqual([]);
    expect(again.outcomes[0]).toMatchObject({ entries: first.entries, member: 1, conflict: null });
    expect(model.account('alice').balanceMinor).toBe(110n);
  });

  it('leaves the batch around a rejected group as it would be without it', () => {
    const model = funded({ alice: 10n });
    const d = model.apply([
      debit('alice', 4n),
      group([member('alice', 'DEBIT', 4n), member('alice', 'DEBIT', 4n)]),
      debit('alice', 6n),
    ]);
    expect(d.entries.map((e) => [e.status, e.balanceAfterMinor])).toEqual([
      ['APPLIED', 6n],
      ['REJECTED', 6n],
      ['REJECTED', 6n],
      ['APPLIED', 0n],
    ]);
  });
});
