import { describe, expect, it } from 'vitest';
import { Book, accountKey } from './ledger.js';
import { expireHolds, type Hold } from './holds.js';
import { LIMITS, MAX_BALANCE, T0, capture, credit, debit, funded, hold, release, transfer } from './test-support.js';

const MINUTE = 60_000;

/** alice has 100 and a hold of `amount` on it for a minute from T0, paying `to` when captured. */
function withHold(amount = 40n, to: string | null = 'shop') {
  const model = funded({ alice: 100n });
  const h = hold('alice', amount, { to, timeoutMs: MINUTE, reason: 'order 7' });
  const d = model.apply([h]);
  return { model, h, d };
}

describe('placing a hold', () => {
  it('keeps the amount: held up, balance as it was, available down; the hold is pending until T0 + timeout', () => {
    const { model, h, d } = withHold();
    expect(d.entries).toEqual([
      expect.objectContaining({
        userId: 'alice',
        id: h.id,
        leg: 0,
        type: 'HOLD',
        status: 'APPLIED',
        amountMinor: 40n,
        balanceDeltaMinor: 0n,
        heldDeltaMinor: 40n,
        balanceAfterMinor: 100n,
        heldAfterMinor: 40n,
        holdId: h.id,
      }),
    ]);
    expect(model.account('alice')).toEqual({ balanceMinor: 100n, heldMinor: 40n });
    expect(d.holds.get(h.id)).toEqual({
      id: h.id,
      userId: 'alice',
      asset: 'BDP',
      amountMinor: 40n,
      to: 'shop',
      expiresAtMs: T0 + MINUTE,
      status: 'PENDING',
      capturedMinor: 0n,
      reason: 'order 7',
      requestedAtMs: T0,
    });
  });

  it('needs the amount available: a second hold cannot keep what the first keeps', () => {
    const { model } = withHold(60n);
    const d = model.apply([hold('alice', 41n)]);
    expect(d.entries[0]).toMatchObject({ status: 'REJECTED', rejection: 'insufficient_funds', heldAfterMinor: 60n });
    expect(d.holds.size).toBe(0);
    expect(model.apply([hold('alice', 40n)]).entries[0]!.status).toBe('APPLIED');
    expect(model.account('alice')).toEqual({ balanceMinor: 100n, heldMinor: 100n });
  });

  it('makes a debit or transfer that would dip into held funds insufficient_funds', () => {
    const { model } = withHold(40n);
    const d = model.apply([debit('alice', 61n), transfer('alice', 'bob', 61n)]);
    expect(d.entries.map((e) => e.rejection)).toEqual(['insufficient_funds', 'insufficient_funds']);
    expect(model.apply([debit('alice', 60n)]).entries[0]).toMatchObject({
      status: 'APPLIED',
      balanceAfterMinor: 40n,
      heldAfterMinor: 40n,
    });
  });
});

describe('capturing a hold', () => {
  it('captures part: the part leaves the balance, the whole hold leaves held, the payee gets the part', () => {
    const { model, h } = withHold(40n, 'shop');
    const c = capture('alice', h.id, 25n, { requestedAtMs: T0 + 1_000 });
    const d = model.apply([c]);
    expect(d.entries).toEqual([
      expect.objectContaining({
        userId: 'alice',
        id: c.id,
        leg: 0,
        type: 'CAPTURE',
        status: 'APPLIED',
        amountMinor: 25n,
        balanceDeltaMinor: -25n,
        heldDeltaMinor: -40n,
        balanceAfterMinor: 75n,
        heldAfterMinor: 0n,
        counterparty: 'shop',
        holdId: h.id,
      }),
      expect.objectContaining({
        userId: 'shop',
        id: c.id,
        leg: 1,
        type: 'CAPTURE',
        amountMinor: 25n,
        balanceDeltaMinor: 25n,
        heldDeltaMinor: 0n,
        balanceAfterMinor: 25n,
        counterparty: 'alice',
        holdId: h.id,
      }),
    ]);
    expect(model.account('alice')).toEqual({ balanceMinor: 75n, heldMinor: 0n });
    expect(model.account('shop').balanceMinor).toBe(25n);
    expect(model.holds.get(h.id)).toMatchObject({ status: 'CAPTURED', capturedMinor: 25n });
  });

  it('captures all of it with amount 0', () => {
    const { model, h } = withHold(40n, 'shop');
    const d = model.apply([capture('alice', h.id)]);
    expect(d.entries.map((e) => [e.userId, e.amountMinor, e.balanceDeltaMinor, e.heldDeltaMinor])).toEqual([
      ['alice', 40n, -40n, -40n],
      ['shop', 40n, 40n, 0n],
    ]);
    expect(model.account('alice')).toEqual({ balanceMinor: 60n, heldMinor: 0n });
    expect(model.holds.get(h.id)).toMatchObject({ status: 'CAPTURED', capturedMinor: 40n });
  });

  it('only debits when the hold names no payee', () => {
    const { model, h } = withHold(40n, null);
    const d = model.apply([capture('alice', h.id, 10n)]);
    expect(d.entries).toHaveLength(1);
    expect(d.entries[0]).toMatchObject({ counterparty: null, balanceDeltaMinor: -10n });
    expect(model.account('alice')).toEqual({ balanceMinor: 90n, heldMinor: 0n });
  });

  it('may capture the whole hold with its amount named, and the hold only once', () => {
    const { model, h } = withHold(40n);
    expect(model.apply([capture('alice', h.id, 40n)]).entries[0]!.status).toBe('APPLIED');
    expect(model.apply([capture('alice', h.id, 1n)]).entries[0]!.rejection).toBe('hold_not_pending');
  });

  it('rejects capturing more than the hold: capture_exceeds_hold, and the hold stays pending', () => {
    const { model, h } = withHold(40n);
    const d = model.apply([capture('alice', h.id, 41n)]);
    expect(d.entries).toEqual([
      expect.objectContaining({ status: 'REJECTED', rejection: 'capture_exceeds_hold', balanceAfterMinor: 100n }),
    ]);
    expect(d.accounts.size).toBe(0);
    expect(d.holds.size).toBe(0);
    expect(model.holds.get(h.id)!.status).toBe('PENDING');
  });

  it('rejects a capture received at or after the hold expires (hold_expired), and takes one just before', () => {
    const { model, h } = withHold(40n);
    const at = (ms: number) => capture('alice', h.id, 0n, { requestedAtMs: ms });
    expect(model.apply([at(T0 + MINUTE)]).entries[0]!.rejection).toBe('hold_expired');
    expect(model.apply([at(T0 + MINUTE + 1)]).entries[0]!.rejection).toBe('hold_expired');
    expect(model.account('alice')).toEqual({ balanceMinor: 100n, heldMinor: 40n });
    expect(model.apply([at(T0 + MINUTE - 1)]).entries[0]!.status).toBe('APPLIED');
  });

  it('rejects a capture of a released hold: hold_not_pending', () => {
    const { model, h } = withHold();
    model.apply([release('alice', h.id)]);
    const d = model.apply([capture('alice', h.id)]);
    expect(d.entries[0]).toMatchObject({ status: 'REJECTED', rejection: 'hold_not_pending', heldAfterMinor: 0n });
    expect(model.account('alice')).toEqual({ balanceMinor: 100n, heldMinor: 0n });
  });

  it("rejects a capture of another user's hold, or of none, as hold_not_found", () => {
    const { model, h } = withHold();
    model.apply([credit('mallory', 5n)]);
    const d = model.apply([capture('mallory', h.id), release('mallory', h.id), capture('alice', 'app:nope')]);
    // each rejected entry shows its user's account as it is: mallory's 5, not a zero read from an unloaded row
    expect(d.entries.map((e) => [e.userId, e.rejection, e.balanceAfterMinor])).toEqual([
      ['mallory', 'hold_not_found', 5n],
      ['mallory', 'hold_not_found', 5n],
      ['alice', 'hold_not_found', 0n],
    ]);
    expect(d.accounts.size).toBe(0);
    expect(model.holds.get(h.id)!.status).toBe('PENDING');
  });

  it('rejects a capture naming another asset than the hold’s: hold_asset_mismatch', () => {
    const { model, h } = withHold();
    expect(model.apply([capture('alice', h.id, 1n, { asset: 'GEM' })]).entries[0]!.rejection).toBe(
      'hold_asset_mismatch',
    );
    expect(model.apply([capture('alice', h.id, 1n, { asset: 'BDP' })]).entries[0]!.status).toBe('APPLIED');
  });

  it("rejects a capture that would pass the payee's largest balance, and moves nothing", () => {
    const { model, h } = withHold(40n, 'shop');
    model.apply([credit('shop', MAX_BALANCE - 10n)]);
    const d = model.apply([capture('alice', h.id, 11n)]);
    expect(d.entries[0]!.rejection).toBe('balance_limit_exceeded');
    expect(model.account('alice')).toEqual({ balanceMinor: 100n, heldMinor: 40n });
    expect(model.apply([capture('alice', h.id, 10n)]).entries[0]!.status).toBe('APPLIED');
  });

  it('places and captures in the same batch', () => {
    const model = funded({ alice: 100n });
    const h = hold('alice', 30n, { to: 'shop' });
    const d = model.apply([h, capture('alice', h.id, 10n), debit('alice', 90n)]);
    expect(d.entries.map((e) => [e.type, e.userId, e.status])).toEqual([
      ['HOLD', 'alice', 'APPLIED'],
      ['CAPTURE', 'alice', 'APPLIED'],
      ['CAPTURE', 'shop', 'APPLIED'],
      ['DEBIT', 'alice', 'APPLIED'],
    ]);
    expect(d.holds.get(h.id)).toMatchObject({ status: 'CAPTURED', capturedMinor: 10n });
    expect(model.account('alice')).toEqual({ balanceMinor: 0n, heldMinor: 0n });
  });
});

describe('releasing a hold', () => {
  it('gives back what it keeps: held down, the balance as it was', () => {
    const { model, h } = withHold(40n);
    const r = release('alice', h.id, { requestedAtMs: T0 + 10 });
    const d = model.apply([r]);
    expect(d.entries).toEqual([
      expect.objectContaining({
        userId: 'alice',
        id: r.id,
        leg: 0,
        type: 'RELEASE',
        status: 'APPLIED',
        asset: 'BDP',
        amountMinor: 40n,
        balanceDeltaMinor: 0n,
        heldDeltaMinor: -40n,
        balanceAfterMinor: 100n,
        heldAfterMinor: 0n,
        holdId: h.id,
      }),
    ]);
    expect(model.holds.get(h.id)!.status).toBe('RELEASED');
    expect(model.apply([release('alice', h.id)]).entries[0]!.rejection).toBe('hold_not_pending');
  });

  it('still releases after the deadline, when the expiry loop has not come yet', () => {
    const { model, h } = withHold(40n);
    const d = model.apply([release('alice', h.id, { requestedAtMs: T0 + 10 * MINUTE })]);
    expect(d.entries[0]).toMatchObject({ status: 'APPLIED', heldAfterMinor: 0n });
    expect(model.expire(T0 + 10 * MINUTE)).toEqual([]);
  });

  it('rejects a release of a captured hold: hold_not_pending', () => {
    const { model, h } = withHold(40n);
    model.apply([capture('alice', h.id, 5n)]);
    expect(model.apply([release('alice', h.id)]).entries[0]!.rejection).toBe('hold_not_pending');
    expect(model.account('alice')).toEqual({ balanceMinor: 95n, heldMinor: 0n });
  });
});

describe('the expiry of holds', () => {
  it('releases each due pending hold as an EXPIRY entry of the hold’s id, leg 1, at its expiresAt', () => {
    const { model, h } = withHold(40n);
    const entries = model.expire(T0 + MINUTE);
    expect(entries).toEqual([
      expect.objectContaining({
        userId: 'alice',
        id: h.id,
        leg: 1,
        type: 'EXPIRY',
        status: 'APPLIED',
        amountMinor: 40n,
        balanceDeltaMinor: 0n,
        heldDeltaMinor: -40n,
        balanceAfterMinor: 100n,
        heldAfterMinor: 0n,
        holdId: h.id,
        requestedAtMs: T0 + MINUTE,
      }),
    ]);
    expect(model.holds.get(h.id)!.status).toBe('EXPIRED');
    expect(model.account('alice')).toEqual({ balanceMinor: 100n, heldMinor: 0n });
  });

  it('then answers a capture or a release with hold_expired', () => {
    const { model, h } = withHold(40n);
    model.expire(T0 + MINUTE);
    const d = model.apply([capture('alice', h.id, 0n, { requestedAtMs: T0 + 1 }), release('alice', h.id)]);
    expect(d.entries.map((e) => e.rejection)).toEqual(['hold_expired', 'hold_expired']);
  });

  it('skips holds no longer pending, and expires several of one account in one book', () => {
    const model = funded({ alice: 100n });
    const [a, b, c] = [hold('alice', 10n), hold('alice', 20n), hold('alice', 30n)];
    model.apply([a, b, c, release('alice', c.id)]);
    const book = new Book((key) => model.accounts.get(key), LIMITS);
    const expired = expireHolds([...model.holds.values()], book);
    expect(expired.entries.map((e) => [e.id, e.heldAfterMinor])).toEqual([
      [a.id, 20n],
      [b.id, 0n],
    ]);
    expect(expired.holds.map((x: Hold) => [x.id, x.status])).toEqual([
      [a.id, 'EXPIRED'],
      [b.id, 'EXPIRED'],
    ]);
    expect(book.changed.get(accountKey('alice', 'BDP'))).toEqual({ balanceMinor: 100n, heldMinor: 0n });
  });

  it('answers a retried HOLD with its first outcome, not with the expiry recorded under its id since', () => {
    const { model, h, d } = withHold(40n);
    model.expire(T0 + MINUTE);
    const again = model.apply([{ ...h, requestedAtMs: T0 + 2 * MINUTE }]);
    expect(again.entries).toEqual([]);
    expect(again.outcomes[0]!.entries).toEqual(d.entries);
  });
});
