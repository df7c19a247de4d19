import { describe, expect, it } from 'vitest';
import { bodyOf, type Command } from './ledger.js';
import { conflictingField, type WriteBody } from './write-bodies.js';
import {
  LedgerModel,
  T0,
  capture,
  credit,
  debit,
  funded,
  grant,
  group,
  hold,
  member,
  transfer,
} from './test-support.js';

/** The model after `first`, and what `again` (the same id) then decides, with the tables before and after. */
function reuse(first: Command[], again: Command[]) {
  const model = funded({ u1: 1_000n, u2: 1_000n });
  const before = model.apply(first);
  const snapshot = () => ({
    log: [...model.log],
    accounts: new Map(model.accounts),
    writes: new Map(model.writes),
    holds: new Map(model.holds),
  });
  const tables = snapshot();
  const after = model.apply(again);
  return { model, before, after, unchanged: () => expect(snapshot()).toEqual(tables) };
}

describe('an id reused with another body: a conflict naming the first differing field', () => {
  it('another amount: conflict "amount", no entries, the first write stands and nothing changes', () => {
    const first = credit('u1', 100n);
    const again = { ...first, amountMinor: 101n, requestedAtMs: T0 + 1 };
    const { after, unchanged, model } = reuse([first], [again]);
    expect(after.outcomes).toEqual([
      {
        command: again,
        entries: [],
        member: null,
        conflict: { id: first.id, userId: 'u1', field: 'amount', body: bodyOf(again), requestedAtMs: T0 + 1 },
      },
    ]);
    expect(after.conflicts).toEqual([after.outcomes[0]!.conflict]);
    expect([after.entries, after.writes, after.accounts.size, after.holds.size]).toEqual([[], [], 0, 0]);
    unchanged();
    expect(model.writes.get(first.id)!.body).toEqual(bodyOf(first));
  });

  it('another user: conflict "user"', () => {
    const first = debit('u1', 10n);
    expect(reuse([first], [{ ...first, userId: 'u2' }]).after.conflicts[0]!.field).toBe('user');
  });

  it('another reason: conflict "reason"', () => {
    const first = credit('u1', 10n, { reason: 'refund' });
    const { after, unchanged } = reuse([first], [{ ...first, reason: 'bonus' }]);
    expect(after.conflicts[0]!.field).toBe('reason');
    unchanged();
  });

  it('names the FIRST field that differs, in the order of the body', () => {
    const first = credit('u1', 10n);
    expect(reuse([first], [{ ...first, type: 'DEBIT', amountMinor: 11n }]).after.conflicts[0]!.field).toBe('type');
    expect(reuse([first], [{ ...first, amountMinor: 11n, reason: 'x' }]).after.conflicts[0]!.field).toBe('amount');
  });

  it('names the field of each kind of write: to, hold, timeout, members', () => {
    const t = transfer('u1', 'u2', 10n);
    expect(reuse([t], [{ ...t, to: 'u3' }]).after.conflicts[0]!.field).toBe('to');
    const h = hold('u1', 10n);
    expect(reuse([h], [{ ...h, timeoutMs: 1 }]).after.conflicts[0]!.field).toBe('timeout');
    const c = capture('u1', 'app:h1');
    expect(reuse([c], [{ ...c, holdId: 'app:h2' }]).after.conflicts[0]!.field).toBe('hold');
    const g = group([member('u1', 'DEBIT', 1n), member('u2', 'CREDIT', 1n)]);
    const other = { ...g, members: [member('u1', 'DEBIT', 1n), member('u2', 'CREDIT', 2n)] };
    expect(reuse([g], [other]).after.conflicts[0]!.field).toBe('members');
  });

  it('a grant reused with another digest of its users: conflict "grant_users"', () => {
    const commands = grant(['u1', 'u2'], 5n);
    const { after, unchanged } = reuse(commands, [{ ...commands[0]!, grantDigest: 'u1,u2,u3' }]);
    expect(after.conflicts[0]).toMatchObject({ field: 'grant_users', userId: 'u1' });
    unchanged();
  });

  it('a grant’s further user with another amount: conflict "amount", that user not credited', () => {
    const [a, b] = grant(['u1', 'u3'], 5n);
    const { after, model } = reuse([a!], [{ ...b!, amountMinor: 6n }]);
    expect(after.conflicts[0]!.field).toBe('amount');
    expect(model.account('u3').balanceMinor).toBe(0n);
  });

  it('a plain write reusing a grant’s id, and a grant reusing a plain write’s: conflict "user"', () => {
    const [g] = grant(['u1'], 5n);
    expect(reuse([g!], [{ ...g!, grant: false, grantDigest: null }]).after.conflicts[0]!.field).toBe('user');
    const c = credit('u1', 5n, { reason: 'grant' });
    expect(reuse([c], [{ ...c, grant: true, grantDigest: 'u1' }]).after.conflicts[0]!.field).toBe('user');
  });

  it('is a conflict within the batch of the first write too, and each outcome says which it is', () => {
    const model = new LedgerModel();
    const first = credit('u1', 10n);
    const d = model.apply([first, { ...first, amountMinor: 20n }, { ...first }]);
    expect(d.outcomes.map((o) => [o.conflict?.field ?? null, o.entries.length])).toEqual([
      [null, 1],
      ['amount', 0],
      [null, 1],
    ]);
    expect(d.entries).toHaveLength(1);
    expect(model.account('u1').balanceMinor).toBe(10n);
  });
});

describe('the same id with the same body: a retry, answered with the recorded outcome', () => {
  it('answers every kind of write with the entries of its first outcome, received later or not', () => {
    const h = hold('u1', 10n, { to: 'u2' });
    const first = [
      credit('u1', 10n),
      debit('u1', 5_000n),
      transfer('u1', 'u2', 10n),
      group([member('u1', 'DEBIT', 1n), member('u2', 'TRANSFER', 1n, { to: 'u1' })]),
      h,
      capture('u1', h.id, 4n),
    ];
    const again = first.map((c) => ({ ...c, requestedAtMs: T0 + 60_000 }));
    const { before, after, unchanged } = reuse(first, again);
    expect(after.outcomes.map((o) => [o.entries, o.conflict, o.member])).toEqual(
      before.outcomes.map((o) => [o.entries, null, o.member]),
    );
    expect([after.entries, after.writes, after.conflicts]).toEqual([[], [], []]);
    unchanged();
  });

  it('answers a rejected write with its rejection even once it would apply: the first outcome stands', () => {
    const model = new LedgerModel();
    const d = debit('u1', 50n);
    const first = model.apply([d]);
    model.apply([credit('u1', 100n)]);
    const again = model.apply([{ ...d }]);
    expect(again.outcomes[0]!.entries).toEqual(first.entries);
    expect(again.outcomes[0]!.entries[0]!.status).toBe('REJECTED');
    expect(model.account('u1').balanceMinor).toBe(100n);
  });
});

describe('legacy bodies: what writes recorded before bodies existed could not know matches anything', () => {
  const legacy: Partial<WriteBody> = { type: 'CREDIT', asset: 'BDP', amount: '100' };

  it('compares only the fields the recorded body has', () => {
    const again = bodyOf(credit('whoever', 100n, { reason: 'anything', grant: true, grantDigest: 'a,b' }));
    expect(conflictingField(legacy, again)).toBeUndefined();
    expect(conflictingField(legacy, bodyOf(credit('whoever', 99n)))).toBe('amount');
    expect(conflictingField(legacy, bodyOf(debit('whoever', 100n)))).toBe('type');
  });

  it('lets a retry of a legacy write hear its recorded entry, and a legacy grant credit its other users', () => {
    const model = new LedgerModel();
    const [g1, g2] = grant(['u1', 'u2'], 100n);
    const first = model.apply([g1!]);
    model.writes.set(g1!.id, { ...model.writes.get(g1!.id)!, body: legacy as WriteBody });
    const d = model.apply([{ ...g1!, grantDigest: 'other', reason: 'other' }, g2!]);
    expect(d.conflicts).toEqual([]);
    expect(d.outcomes[0]!.entries).toEqual(first.entries);
    expect(d.entries.map((e) => [e.userId, e.status])).toEqual([['u2', 'APPLIED']]);
  });

  it('keeps a legacy id per user, as ids were then: another user’s command of that id is theirs, not a retry', () => {
    const model = new LedgerModel();
    const a = credit('u1', 100n);
    model.apply([a]);
    model.writes.set(a.id, { ...model.writes.get(a.id)!, body: {} as WriteBody });
    const d = model.apply([{ ...credit('u2', 700n), id: a.id }, a]);
    expect(d.conflicts).toEqual([]);
    expect(d.entries.map((e) => [e.userId, e.balanceAfterMinor])).toEqual([['u2', 700n]]);
    expect(d.outcomes[1]!.entries.map((e) => e.userId)).toEqual(['u1']);
  });

  it('still tells null (the write had none) from undefined (unknown)', () => {
    const recorded = bodyOf(credit('u1', 1n));
    expect(recorded.reason).toBeNull();
    expect(conflictingField(recorded, bodyOf(credit('u1', 1n, { reason: 'x' })))).toBe('reason');
  });
});
