import { describe, expect, it } from 'vitest';
import { AssetCatalogue } from '@tally/money';
import { amountProblems, captureProblems, groupProblems, holdProblems, transferProblems } from './wallet-amounts.js';

const assets = AssetCatalogue.parse('{"KRW":{"scale":0,"maxAmount":"1000000"},"points":{"scale":2}}');
const KNOWN = 'this ledger counts: KRW, points';

describe("an amount is read at its asset's scale, up to its maxAmount", () => {
  it.each([
    ['KRW', '1000000'],
    ['KRW', '1'],
    ['points', '0.01'],
    ['points', '90071992547409.91'],
  ])('%s %s is taken', (asset, amount) => {
    expect(amountProblems(assets, { asset, amount }, 'body')).toEqual([]);
  });

  it.each([
    ['KRW', '12.5', 'body.amount', 'must be a whole number (this asset has no decimal places), such as "1234"'],
    ['KRW', '1000001', 'body.amount', 'must be at most 1000000'],
    ['points', '0.001', 'body.amount', 'must have at most 2 digits after the point, such as "12.34"'],
    ['points', '90071992547409.92', 'body.amount', 'must be at most 90071992547409.91'],
    ['gold', '1', 'body.asset', `unknown asset gold; ${KNOWN}`],
  ])('%s %s is refused, naming %s', (asset, amount, field, message) => {
    expect(amountProblems(assets, { asset, amount }, 'body')).toEqual([{ field, message }]);
  });

  it('counts any well-formed asset when the catalogue has "*"', () => {
    const any = AssetCatalogue.parse('{"*":{"scale":2}}');
    expect(amountProblems(any, { asset: 'gold', amount: '1.25' }, 'body')).toEqual([]);
  });
});

describe('the rules of two fields together', () => {
  const transfer = { source: 's', seq: 1, from: 'a', to: 'b', asset: 'KRW', amount: '5' };

  it('a transfer to oneself moves nothing: refused naming body.to, with any amount problem beside it', () => {
    expect(transferProblems(assets, transfer)).toEqual([]);
    expect(transferProblems(assets, { ...transfer, to: 'a', amount: '0.5' })).toEqual([
      { field: 'body.to', message: 'must differ from from: a transfer to oneself moves nothing' },
      { field: 'body.amount', message: 'must be a whole number (this asset has no decimal places), such as "1234"' },
    ]);
  });

  it("a group's problems name each bad member by its index", () => {
    const members = [
      { type: 'credit' as const, userId: 'a', asset: 'KRW', amount: '5' },
      { type: 'transfer' as const, from: 'a', to: 'a', asset: 'points', amount: '1' },
      { type: 'debit' as const, userId: 'b', asset: 'gems', amount: '1' },
    ];
    expect(groupProblems(assets, { source: 's', seq: 1, members })).toEqual([
      { field: 'body.members.1.to', message: 'must differ from from: a transfer to oneself moves nothing' },
      { field: 'body.members.2.asset', message: `unknown asset gems; ${KNOWN}` },
    ]);
    expect(groupProblems(assets, { source: 's', seq: 1, members: members.slice(0, 1) })).toEqual([]);
  });

  it('a hold may not pay its own user', () => {
    const hold = { source: 's', seq: 1, asset: 'points', amount: '5', timeoutSeconds: 60 };
    expect(holdProblems(assets, 'u', { ...hold, to: 'v' })).toEqual([]);
    expect(holdProblems(assets, 'u', hold)).toEqual([]);
    expect(holdProblems(assets, 'u', { ...hold, to: 'u' }).map((p) => p.field)).toEqual(['body.to']);
  });

  it('a capture amount comes with its asset, read at its scale; no amount captures all', () => {
    expect(captureProblems(assets, { source: 's', seq: 1 })).toEqual([]);
    expect(captureProblems(assets, { source: 's', seq: 1, asset: 'points' })).toEqual([]);
    expect(captureProblems(assets, { source: 's', seq: 1, asset: 'KRW', amount: '7' })).toEqual([]);
    expect(captureProblems(assets, { source: 's', seq: 1, amount: '7' })).toEqual([
      {
        field: 'body.asset',
        message: "is required with amount: the amount is read at the asset's scale; it must be the hold's asset",
      },
    ]);
    expect(captureProblems(assets, { source: 's', seq: 1, asset: 'KRW', amount: '7.5' }).map((p) => p.field)).toEqual([
      'body.amount',
    ]);
    expect(captureProblems(assets, { source: 's', seq: 1, asset: 'gold' }).map((p) => p.field)).toEqual(['body.asset']);
  });
});
