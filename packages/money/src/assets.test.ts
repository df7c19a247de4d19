import { describe, expect, it } from 'vitest';
import { MAX_MINOR } from './amount.js';
import { AssetCatalogue, DEFAULT_ASSETS } from './assets.js';

describe('the asset catalogue (ASSETS)', () => {
  it('reads each asset with its scale and limits', () => {
    const catalogue = AssetCatalogue.parse(
      '{"KRW":{"scale":0,"maxBalance":"1000000"},"points":{"scale":2,"maxAmount":"500.00"}}',
    );
    expect(catalogue.rule('KRW')).toEqual({
      asset: 'KRW',
      scale: 0,
      maxBalanceMinor: 1_000_000n,
      maxAmountMinor: 1_000_000n,
    });
    expect(catalogue.rule('points')).toEqual({
      asset: 'points',
      scale: 2,
      maxBalanceMinor: MAX_MINOR,
      maxAmountMinor: 50_000n,
    });
    expect(catalogue.rule('gems')).toBeUndefined();
  });

  it('counts any well-formed asset when it has "*"', () => {
    const catalogue = AssetCatalogue.parse('{"*":{"scale":2},"KRW":{"scale":0}}');
    expect(catalogue.rule('anything')?.scale).toBe(2);
    expect(catalogue.rule('KRW')?.scale).toBe(0);
    expect(catalogue.rule('no spaces')).toBeUndefined();
  });

  it('reports every problem at once', () => {
    expect(() =>
      AssetCatalogue.parse(
        '{"ok":{"scale":2},"bad name":{"scale":2},"x":{"scale":9},"y":{"scale":2,"maxBalance":"1.234"},"z":{"scale":0,"maxAmount":"5","maxBalance":"4"}}',
      ),
    ).toThrow(
      /"bad name" is not an asset name.*x.scale must be a whole number from 0 to 8.*y.maxBalance must have at most 2 digits.*z.maxAmount must not exceed its maxBalance/,
    );
    expect(() => AssetCatalogue.parse('nope')).toThrow(/JSON object/);
    expect(() => AssetCatalogue.parse('{}')).toThrow(/at least one asset/);
  });

  it('defaults to common currencies and points, two decimals each', () => {
    const catalogue = AssetCatalogue.parse(DEFAULT_ASSETS);
    expect(catalogue.rule('KRW')?.scale).toBe(2);
    expect(catalogue.rule('points')?.maxBalanceMinor).toBe(MAX_MINOR);
    expect(catalogue.rule('nope')).toBeUndefined();
  });
});
