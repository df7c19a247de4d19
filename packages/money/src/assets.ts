import { MAX_MINOR, MAX_SCALE, parseMinor } from './amount.js';

/**
 * The assets a ledger counts, from configuration (ASSETS): each with its scale (how many decimal places its
 * amounts have: 2 for "12.34", 0 for KRW in whole won) and its limits. Amounts live as integer minor units
 * everywhere (10^scale of them per unit), so the scale is read once, here, and nowhere else guesses it.
 */

export interface AssetRule {
  asset: string;
  /** Decimal places of its amounts. */
  scale: number;
  /** No balance of it may exceed this (a credit that would is rejected: balance_limit_exceeded). */
  maxBalanceMinor: bigint;
  /** No single amount of it may exceed this (400 at the gateway); at most maxBalanceMinor. */
  maxAmountMinor: bigint;
}

/** An asset: a short identifier, so it reads well as a JSON key of `balances`. */
export const ASSET_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,31}$/;

/** Any asset not named otherwise, when the catalogue has this entry; without it, an unknown asset is refused. */
export const ANY_ASSET = '*';

/**
 * What a fresh stack counts when ASSETS is not set: common currencies and point systems, each with 2 decimal
 * places (PRODUCT: "2 by default"). A deployment names its own, e.g. {"KRW":{"scale":0},"points":{"scale":2}}.
 */
export const DEFAULT_ASSETS = JSON.stringify(
  Object.fromEntries(
    ['KRW', 'USD', 'EUR', 'JPY', 'BDP', 'COIN', 'coins', 'points', 'gems', 'credits', 'cash', 'gold'].map((a) => [
      a,
      { scale: 2 },
    ]),
  ),
);

interface AssetEntry {
  scale?: unknown;
  maxBalance?: unknown;
  maxAmount?: unknown;
}

export class AssetCatalogue {
  private constructor(private readonly rules: ReadonlyMap<string, AssetRule>) {}

  /** Reads ASSETS: `{"<asset>": {"scale": 0-8, "maxBalance"?: "<decimal>", "maxAmount"?: "<decimal>"}, ...}`. */
  static parse(text: string): AssetCatalogue {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error('must be a JSON object of assets, e.g. {"points":{"scale":2}}');
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json) || Object.keys(json).length === 0)
      throw new Error('must be a JSON object naming at least one asset, e.g. {"points":{"scale":2}}');
    const problems: string[] = [];
    const rules = new Map<string, AssetRule>();
    for (const [asset, entry] of Object.entries(json as Record<string, AssetEntry>)) {
      const rule = ruleOf(asset, entry, problems);
      if (rule) rules.set(asset, rule);
    }
    if (problems.length > 0) throw new Error(problems.join('; '));
    return new AssetCatalogue(rules);
  }

  static readonly default = (): AssetCatalogue => AssetCatalogue.parse(DEFAULT_ASSETS);

  /** The asset's rule, or undefined when the catalogue does not count it. */
  rule(asset: string): AssetRule | undefined {
    const named = this.rules.get(asset);
    if (named) return named;
    const any = ASSET_PATTERN.test(asset) ? this.rules.get(ANY_ASSET) : undefined;
    return any && { ...any, asset };
  }

  /** The assets named, for messages and docs ("*" included when any asset is counted). */
  get names(): string[] {
    return [...this.rules.keys()];
  }
}

function ruleOf(asset: string, entry: AssetEntry, problems: string[]): AssetRule | undefined {
  if (asset !== ANY_ASSET && !ASSET_PATTERN.test(asset)) {
    problems.push(`"${asset}" is not an asset name (a letter, then up to 31 of A-Z a-z 0-9 _)`);
    return undefined;
  }
  if (typeof entry !== 'object' || entry === null) {
    problems.push(`${asset} must be an object such as {"scale":2}`);
    return undefined;
  }
  const { scale } = entry;
  if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    problems.push(`${asset}.scale must be a whole number from 0 to ${MAX_SCALE}`);
    return undefined;
  }
  const limit = (name: 'maxBalance' | 'maxAmount', fallback: bigint) => {
    const value = entry[name];
    if (value === undefined) return fallback;
    try {
      return parseMinor(value, scale, MAX_MINOR);
    } catch (error) {
      problems.push(`${asset}.${name} ${(error as Error).message.replace(/^the amount /, '')}`);
      return fallback;
    }
  };
  const maxBalanceMinor = limit('maxBalance', MAX_MINOR);
  const maxAmountMinor = limit('maxAmount', maxBalanceMinor);
  if (maxAmountMinor > maxBalanceMinor) problems.push(`${asset}.maxAmount must not exceed its maxBalance`);
  return { asset, scale, maxBalanceMinor, maxAmountMinor };
}
