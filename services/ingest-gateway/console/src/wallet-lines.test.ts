import { describe, expect, it } from 'vitest';
import type { WalletTransaction } from './api';
import { MINUS, expiresIn, historyLine, isZero, unsettledHolds } from './wallet-lines';

/** A history entry as the ledger answers it, applied unless said otherwise. */
const tx = (fields: Partial<WalletTransaction> & Pick<WalletTransaction, 'type'>): WalletTransaction => ({
  id: 'app:1',
  asset: 'coins',
  amount: '5.00',
  status: 'applied',
  balanceAfter: '10.00',
  ...fields,
});

describe('a history entry as a line of the wallet panel', () => {
  it('signs credits and debits by what they did to the balance; a grant is a credit named grant', () => {
    expect(historyLine(tx({ type: 'credit' }), 'alice')).toEqual({ kind: 'credit', flow: 'in', amount: '+5.00' });
    expect(historyLine(tx({ type: 'debit' }), 'alice')).toEqual({ kind: 'debit', flow: 'out', amount: `${MINUS}5.00` });
    expect(historyLine(tx({ type: 'credit', grant: true }), 'alice')).toMatchObject({ kind: 'grant', flow: 'in' });
  });

  it("shows a transfer from the followed user's side: → the payee when sent, ← the payer when received", () => {
    const transfer = tx({ type: 'transfer', from: 'alice', to: 'bob' });
    expect(historyLine(transfer, 'alice')).toEqual({
      kind: 'transfer',
      party: '→ bob',
      flow: 'out',
      amount: `${MINUS}5.00`,
    });
    expect(historyLine(transfer, 'bob')).toEqual({ kind: 'transfer', party: '← alice', flow: 'in', amount: '+5.00' });
  });

  it('a rejected write moved nothing: unsigned, yet still names its other side', () => {
    const refused = tx({
      type: 'transfer',
      from: 'alice',
      to: 'bob',
      status: 'rejected',
      reason: 'insufficient_funds',
    });
    expect(historyLine(refused, 'alice')).toEqual({ kind: 'transfer', party: '→ bob', flow: 'none', amount: '5.00' });
    expect(historyLine(tx({ type: 'debit', status: 'rejected' }), 'alice')).toMatchObject({ flow: 'none' });
  });

  it('a hold, its release and its expiry move what is held, not the balance; each names its hold but the hold itself', () => {
    expect(historyLine(tx({ type: 'hold', holdId: 'app:1' }), 'alice')).toEqual({
      kind: 'hold',
      flow: 'none',
      amount: '5.00',
    });
    for (const type of ['release', 'expiry'] as const)
      expect(historyLine(tx({ type, id: 'app:2', holdId: 'app:1' }), 'alice')).toEqual({
        kind: type,
        hold: 'app:1',
        flow: 'none',
        amount: '5.00',
      });
  });

  it("a capture debits the hold's owner, and pays its payee when it names one", () => {
    const unpaid = tx({ type: 'capture', id: 'app:3', holdId: 'app:1' });
    expect(historyLine(unpaid, 'alice')).toEqual({
      kind: 'capture',
      hold: 'app:1',
      flow: 'out',
      amount: `${MINUS}5.00`,
    });
    const paid = tx({ type: 'capture', id: 'app:3', holdId: 'app:1', from: 'alice', to: 'shop' });
    expect(historyLine(paid, 'alice')).toMatchObject({ party: '→ shop', flow: 'out' });
    expect(historyLine({ ...paid, leg: 1 }, 'shop')).toMatchObject({ party: '← alice', flow: 'in', amount: '+5.00' });
  });

  it("a group's members read like the writes they are (the panel marks them as a group)", () => {
    expect(historyLine(tx({ type: 'transfer', group: true, leg: 2, from: 'carol', to: 'alice' }), 'alice')).toEqual({
      kind: 'transfer',
      party: '← carol',
      flow: 'in',
      amount: '+5.00',
    });
  });
});

describe('holds the panel asks about', () => {
  const placed = (id: string, status = 'applied') => tx({ type: 'hold', id, holdId: id, status });
  const ended = (type: 'capture' | 'release' | 'expiry', holdId: string, status = 'applied') =>
    tx({
      type,
      id: type === 'expiry' ? holdId : `${holdId}/${type}`,
      holdId,
      status,
      ...(type === 'expiry' ? { leg: 1 } : {}),
    });

  it('every applied hold the history does not show ending, newest first', () => {
    const history = [
      ended('expiry', 'h:3'),
      placed('h:5'),
      ended('release', 'h:2'),
      placed('h:4'),
      placed('h:3'),
      ended('capture', 'h:1'),
      placed('h:2'),
      placed('h:1'),
      placed('h:0'),
    ];
    expect(unsettledHolds(history)).toEqual(['h:5', 'h:4', 'h:0']);
  });

  it('a rejected hold keeps nothing, and a rejected capture or release ends nothing', () => {
    expect(unsettledHolds([placed('h:1', 'rejected')])).toEqual([]);
    expect(
      unsettledHolds([ended('capture', 'h:1', 'rejected'), ended('release', 'h:1', 'rejected'), placed('h:1')]),
    ).toEqual(['h:1']);
  });

  it('none without holds', () => {
    expect(unsettledHolds([tx({ type: 'credit' }), tx({ type: 'debit' })])).toEqual([]);
  });
});

describe('a countdown to an expiry, and zero amounts', () => {
  const now = 1_700_000_000_000;
  it('counts down in the largest whole unit, and says due once the time has come', () => {
    expect(expiresIn(now + 42_000, now)).toBe('in 42 s');
    expect(expiresIn(now + 400, now)).toBe('in 1 s');
    expect(expiresIn(now + 119_000, now)).toBe('in 119 s');
    expect(expiresIn(now + 120_000, now)).toBe('in 2 min');
    expect(expiresIn(now + 7_199_000, now)).toBe('in 119 min');
    expect(expiresIn(now + 7_200_000, now)).toBe('in 2 h');
    expect(expiresIn(now + 604_800_000, now)).toBe('in 7 d');
    expect(expiresIn(now, now)).toBe('due');
    expect(expiresIn(now - 5_000, now)).toBe('due');
  });

  it('recognises zero at any scale', () => {
    for (const zero of ['0', '0.00', '000.0', '0.']) expect(isZero(zero), zero).toBe(true);
    for (const other of ['0.01', '10', '1.00', '100.00']) expect(isZero(other), other).toBe(false);
  });
});
