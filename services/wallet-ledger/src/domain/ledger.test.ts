import { describe, expect, it } from 'vitest';
import { accountKey, accountOf, decide, refusal, type Command } from './ledger.js';
import {
  LIMITS,
  LedgerModel,
  MAX_BALANCE,
  capture,
  command,
  credit,
  debit,
  funded,
  grant,
  group,
  hold,
  member,
  release,
  transfer,
} from './test-support.js';

const EMPTY = { accounts: new Map(), writes: new Map(), entries: new Map(), holds: new Map() };

describe('credits and debits', () => {
  it('credits add and debits subtract, in order, each entry with its delta and the balance after it', () => {
    const d = decide([credit('u1', 500n), debit('u1', 200n), credit('u1', 1n)], EMPTY, LIMITS);
    expect(d.entries.map((e) => [e.type, e.status, e.balanceDeltaMinor, e.balanceAfterMinor, e.leg])).toEqual([
      ['CREDIT', 'APPLIED', 500n, 500n, 0],
      ['DEBIT', 'APPLIED', -200n, 300n, 0],
      ['CREDIT', 'APPLIED', 1n, 301n, 0],
    ]);
    expect(d.accounts).toEqual(new Map([[accountKey('u1', 'BDP'), { balanceMinor: 301n, heldMinor: 0n }]]));
    expect(d.writes.map((w) => w.status)).toEqual(['APPLIED', 'APPLIED', 'APPLIED']);
    expect(d.outcomes.map((o) => o.entries)).toEqual(d.entries.map((e) => [e]));
  });

  it('rejects a debit that would go below zero, records it, and leaves the balance', () => {
    const model = funded({ u1: 100n });
    const d = model.apply([debit('u1', 101n)]);
    expect(d.entries).toEqual([
      expect.objectContaining({
        status: 'REJECTED',
        rejection: 'insufficient_funds',
        balanceDeltaMinor: 0n,
        balanceAfterMinor: 100n,
      }),
    ]);
    expect(d.writes[0]).toMatchObject({ status: 'REJECTED', rejection: 'insufficient_funds' });
    expect(d.accounts.size).toBe(0);
    expect(model.apply([debit('u1', 100n)]).entries[0]).toMatchObject({ status: 'APPLIED', balanceAfterMinor: 0n });
  });

  it('never debits an account nobody credited', () => {
    const d = decide([debit('nobody', 1n)], EMPTY, LIMITS);
    expect(d.entries[0]).toMatchObject({ rejection: 'insufficient_funds', balanceAfterMinor: 0n });
  });

  it('keeps accounts per user and asset apart', () => {
    const d = decide(
      [credit('u1', 100n), credit('u1', 7n, { asset: 'GEM' }), credit('u2', 3n), debit('u2', 4n)],
      EMPTY,
      LIMITS,
    );
    expect(d.accounts).toEqual(
      new Map([
        [accountKey('u1', 'BDP'), { balanceMinor: 100n, heldMinor: 0n }],
        [accountKey('u1', 'GEM'), { balanceMinor: 7n, heldMinor: 0n }],
        [accountKey('u2', 'BDP'), { balanceMinor: 3n, heldMinor: 0n }],
      ]),
    );
    expect(d.entries[3]).toMatchObject({ userId: 'u2', status: 'REJECTED' });
  });

  it("rejects a credit that would pass the asset's largest balance, and takes one that reaches it", () => {
    const model = funded({ u1: MAX_BALANCE - 2n });
    expect(model.apply([credit('u1', 3n)]).entries[0]).toMatchObject({
      status: 'REJECTED',
      rejection: 'balance_limit_exceeded',
      balanceAfterMinor: MAX_BALANCE - 2n,
    });
    expect(model.apply([credit('u1', 2n)]).entries[0]).toMatchObject({
      status: 'APPLIED',
      balanceAfterMinor: MAX_BALANCE,
    });
  });

  it('reads the loaded accounts and reports only the ones it changed, with what holds keep', () => {
    const model = new LedgerModel([
      ['u1', 'BDP', { balanceMinor: 50n, heldMinor: 20n }],
      ['u2', 'BDP', { balanceMinor: 9n, heldMinor: 0n }],
    ]);
    const d = model.apply([credit('u1', 5n)]);
    expect(d.accounts).toEqual(new Map([[accountKey('u1', 'BDP'), { balanceMinor: 55n, heldMinor: 20n }]]));
    expect(d.entries[0]).toMatchObject({ heldDeltaMinor: 0n, heldAfterMinor: 20n });
  });

  it('names accounts by user and asset, and reads the name back', () => {
    expect(accountOf(accountKey('u:1', 'BDP'))).toEqual({ userId: 'u:1', asset: 'BDP' });
    expect(accountKey('u1', 'BDP')).not.toBe(accountKey('u1B', 'DP'));
  });
});

describe('grants: one write credited to many users', () => {
  it('credits each user once under the one id, and records the write once', () => {
    const model = new LedgerModel();
    const commands = grant(['u1', 'u2', 'u3'], 50n);
    const d = model.apply(commands);
    expect(d.entries.map((e) => [e.userId, e.id, e.leg, e.grant, e.balanceAfterMinor])).toEqual([
      ['u1', commands[0]!.id, 0, true, 50n],
      ['u2', commands[0]!.id, 0, true, 50n],
      ['u3', commands[0]!.id, 0, true, 50n],
    ]);
    expect(d.writes).toHaveLength(1);
    expect(d.writes[0]!.body).toMatchObject({ user: null, grant_users: 'u1,u2,u3' });
  });

  it('credits the users of a grant split over batches, and answers each retry with that user’s entry alone', () => {
    const model = new LedgerModel();
    const [a, b] = grant(['u1', 'u2'], 50n);
    const first = model.apply([a!]);
    const later = model.apply([b!, { ...a! }]);
    expect(later.entries.map((e) => e.userId)).toEqual(['u2']);
    expect(later.outcomes[1]!.entries).toEqual(first.entries);
    expect(model.apply([{ ...b! }]).outcomes[0]!.entries).toEqual(later.entries);
    expect([model.account('u1').balanceMinor, model.account('u2').balanceMinor]).toEqual([50n, 50n]);
  });
});

describe('at-least-once delivery', () => {
  it('a batch delivered again answers every command with its first outcome and changes nothing', () => {
    const model = funded({ u1: 100n, u2: 0n });
    const batch = [
      credit('u1', 10n),
      debit('u1', 500n),
      transfer('u1', 'u2', 30n),
      ...grant(['u1', 'u2'], 5n),
      group([member('u2', 'DEBIT', 1n), member('u2', 'DEBIT', 999n)]),
    ];
    const first = model.apply(batch);
    const log = [...model.log];
    const accounts = new Map(model.accounts);
    const again = model.apply(batch.map((c) => ({ ...c, requestedAtMs: c.requestedAtMs + 5_000 })));
    expect(again.entries).toEqual([]);
    expect(again.writes).toEqual([]);
    expect(again.accounts.size).toBe(0);
    expect(again.outcomes.map((o) => [o.entries, o.member])).toEqual(first.outcomes.map((o) => [o.entries, o.member]));
    expect(model.log).toEqual(log);
    expect(model.accounts).toEqual(accounts);
  });
});

describe('refusal: commands the gateway never writes', () => {
  const ok = (c: Command) => expect(refusal(c, LIMITS)).toBeUndefined();
  const refused = (c: Command, why: RegExp) => expect(refusal(c, LIMITS)).toMatch(why);

  it('takes every well-formed kind', () => {
    for (const c of [
      credit('u1', 1n),
      debit('u1', MAX_BALANCE),
      transfer('u1', 'u2', 1n),
      group([member('u1', 'CREDIT', 1n), member('u1', 'TRANSFER', 1n, { to: 'u2' })]),
      hold('u1', 1n, { to: 'u2' }),
      capture('u1', 'app:1'),
      capture('u1', 'app:1', 5n, { asset: 'BDP' }),
      release('u1', 'app:1'),
      ...grant(['u1'], 1n),
    ])
      ok(c);
  });

  it('refuses a missing user, an EXPIRY without its hold, and amounts that are not positive or pass any balance', () => {
    refused(credit('', 1n), /userId/);
    refused(command({ type: 'EXPIRY', holdId: null }), /needs the hold's id/);
    expect(refusal(command({ type: 'EXPIRY', holdId: 'app:1' }), LIMITS)).toBeUndefined();
    refused(credit('u1', 0n), /positive/);
    refused(debit('u1', -1n), /positive/);
    refused(credit('u1', MAX_BALANCE + 1n), /larger than any balance/);
    refused(credit('u1', 1n, { asset: 'XYZ' }), /asset "XYZ"/);
    refused(credit('u1', 1n, { asset: '' }), /asset/);
  });

  it('refuses transfers without a receiver or to oneself', () => {
    refused(transfer('u1', '', 1n, { to: null }), /receiver/);
    refused(transfer('u1', 'u1', 1n), /oneself/);
  });

  it('refuses an empty group, and names the first bad member', () => {
    refused(group([member('u1', 'CREDIT', 1n)], { members: [] }), /needs members/);
    refused(
      group([member('u1', 'CREDIT', 1n), member('u2', 'TRANSFER', 1n), member('u3', 'CREDIT', 0n)]),
      /^member 1: a transfer needs a receiver/,
    );
    refused(group([member('u1', 'DEBIT', 1n, { asset: 'XYZ' })]), /^member 0: the ledger does not count/);
  });

  it('refuses holds without a positive timeout or paying their owner, and captures without a hold', () => {
    refused(hold('u1', 1n, { timeoutMs: null }), /positive timeout/);
    refused(hold('u1', 1n, { timeoutMs: 0 }), /positive timeout/);
    refused(hold('u1', 1n, { to: 'u1' }), /own owner/);
    refused(hold('u1', 0n), /positive/);
    refused(capture('u1', ''), /capture needs the hold's id/);
    refused(release('u1', '', { holdId: null }), /release needs the hold's id/);
    refused(capture('u1', 'app:1', -1n), /never negative/);
    refused(capture('u1', 'app:1', 1n, { asset: 'XYZ' }), /does not count asset XYZ/);
  });
});
