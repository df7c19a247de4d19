import { describe, expect, it } from 'vitest';
import { unlistedProblem } from '@tally/contracts';
import { AssetCatalogue } from '@tally/money';
import type { WalletOutcome } from '@tally/schemas';
import { idReusedAnswer, toWalletDecision } from './wallet-outcome.js';

const assets = AssetCatalogue.parse('{"KRW":{"scale":0},"points":{"scale":2}}');

const outcome: WalletOutcome = {
  id: 's:1',
  userId: 'u',
  type: 'DEBIT',
  asset: 'points',
  amountMinor: 500,
  status: 'REJECTED',
  reason: 'insufficient_funds',
  balanceMinor: 120,
  appliedAtMs: 1,
  heldMinor: 0,
  conflict: false,
  member: null,
  to: null,
  holdId: null,
  expiresAtMs: null,
};

describe('an outcome becomes the answer of ?wait=true', () => {
  it("says the status in lower case, and the balance, what is held and what is available at the asset's scale", () => {
    expect(toWalletDecision(outcome, assets)).toEqual({
      id: 's:1',
      status: 'rejected',
      balance: '1.20',
      available: '1.20',
      held: '0.00',
      reason: 'insufficient_funds',
    });
    expect(
      toWalletDecision({ ...outcome, status: 'APPLIED', reason: null, balanceMinor: 999_999_999_999_999 }, assets),
    ).toEqual({
      id: 's:1',
      status: 'applied',
      balance: '9999999999999.99',
      available: '9999999999999.99',
      held: '0.00',
    });
    const held = { ...outcome, type: 'HOLD', asset: 'KRW', status: 'APPLIED', reason: null } as const;
    expect(toWalletDecision({ ...held, balanceMinor: 5000, heldMinor: 1200 }, assets)).toEqual({
      id: 's:1',
      status: 'applied',
      balance: '5000',
      available: '3800',
      held: '1200',
    });
  });

  it('names the member that failed a group', () => {
    expect(toWalletDecision({ ...outcome, type: 'GROUP', member: 2 }, assets)).toMatchObject({
      status: 'rejected',
      reason: 'insufficient_funds',
      member: 2,
    });
    expect(toWalletDecision({ ...outcome, type: 'GROUP', member: 0 }, assets).member).toBe(0);
  });

  it('writes an asset the catalogue no longer counts at 2 places', () => {
    expect(toWalletDecision({ ...outcome, asset: 'gold' }, assets).balance).toBe('1.20');
  });
});

describe('an outcome refusing a reused id becomes the 409 answer', () => {
  const fields = { amount: 'body.amount', user: 'params.userId', grant_users: 'body.userIds' };
  const reused = (reason: string | null): WalletOutcome => ({ ...outcome, conflict: true, reason });

  it('names the field that differs, where the route has it', () => {
    const answer = idReusedAnswer(reused('id_reused_with_different_amount'), fields);
    expect(answer).toEqual({
      error: 'id_reused',
      message: 's:1 was already used for a write with a different amount; the first write stands',
      details: [{ field: 'body.amount', message: 'differs from the first write named s:1, which stands' }],
      id: 's:1',
      status: 'rejected',
      reason: 'id_reused_with_different_amount',
    });
    expect(unlistedProblem(409, answer)).toBeUndefined();
    expect(idReusedAnswer(reused('id_reused_with_different_user'), fields).details[0]!.field).toBe('params.userId');
    expect(idReusedAnswer(reused('id_reused_with_different_grant_users'), fields).message).toBe(
      's:1 was already used for a write with a different grant users; the first write stands',
    );
  });

  it('names the body as a whole for a field the route has no place for, or a reason it does not know', () => {
    expect(idReusedAnswer(reused('id_reused_with_different_timeout'), fields).details[0]!.field).toBe('body');
    // an inherited name is no field of the route
    expect(idReusedAnswer(reused('id_reused_with_different_constructor'), fields).details[0]!.field).toBe('body');
    const unknown = idReusedAnswer(reused('something_else'), fields);
    expect(unknown).toMatchObject({
      message: 's:1 was already used for a different write; the first write stands',
      details: [{ field: 'body' }],
      reason: 'something_else',
    });
    expect(idReusedAnswer(reused(null), fields).reason).toBe('id_reused');
  });
});
