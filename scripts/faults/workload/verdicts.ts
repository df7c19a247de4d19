/** How the checks word what they found: sums with lost and doubled, or a rule with the cases that break it. */
import type { InvariantResult } from '../invariant-result.js';
import type { Product } from './stats.js';

export interface Comparison {
  /** What was counted: an item, a user, a region's option. */
  key: string;
  expected: number;
  observed: number;
}

const EXAMPLES = 3;

/**
 * Exact counts over many keys: lost is what is missing (expected − observed where positive), doubled what is
 * too much (observed − expected where positive), summed over the keys, so a loss on one key and a double on
 * another never cancel out.
 */
export function countsVerdict(
  product: Product,
  invariant: string,
  unit: string,
  comparisons: Comparison[],
): InvariantResult {
  let expected = 0;
  let observed = 0;
  let lost = 0;
  let doubled = 0;
  const wrong: Comparison[] = [];
  for (const c of comparisons) {
    expected += c.expected;
    observed += c.observed;
    lost += Math.max(0, c.expected - c.observed);
    doubled += Math.max(0, c.observed - c.expected);
    if (c.expected !== c.observed) wrong.push(c);
  }
  const examples = wrong.slice(0, EXAMPLES).map((c) => `${c.key}: expected ${c.expected}, got ${c.observed}`);
  return {
    product,
    invariant,
    ok: wrong.length === 0,
    expected: `${expected} ${unit} over ${comparisons.length}`,
    observed: `${observed} ${unit}; lost ${lost}, doubled ${doubled}${wrong.length ? `; ${wrong.length} of ${comparisons.length} differ (${examples.join('; ')})` : ''}`,
    lost,
    doubled,
  };
}

export interface RangeComparison {
  key: string;
  /** What must be counted at least, and at most: equal where the model knows exactly. */
  least: number;
  most: number;
  observed: number;
}

/**
 * Counts known as a range over many keys (the model cannot tell some cases apart): lost is what is below the
 * range, doubled what is above it, summed over the keys.
 */
export function rangeVerdict(
  product: Product,
  invariant: string,
  unit: string,
  comparisons: RangeComparison[],
): InvariantResult {
  let [least, most, observed, lost, doubled] = [0, 0, 0, 0, 0];
  const wrong: RangeComparison[] = [];
  for (const c of comparisons) {
    least += c.least;
    most += c.most;
    observed += c.observed;
    lost += Math.max(0, c.least - c.observed);
    doubled += Math.max(0, c.observed - c.most);
    if (c.observed < c.least || c.observed > c.most) wrong.push(c);
  }
  const range = (a: number, b: number) => (a === b ? `${a}` : `${a}..${b}`);
  const examples = wrong
    .slice(0, EXAMPLES)
    .map((c) => `${c.key}: expected ${range(c.least, c.most)}, got ${c.observed}`);
  return {
    product,
    invariant,
    ok: wrong.length === 0,
    expected: `${range(least, most)} ${unit} over ${comparisons.length}`,
    observed: `${observed} ${unit}; lost ${lost}, doubled ${doubled}${wrong.length ? `; ${wrong.length} of ${comparisons.length} outside (${examples.join('; ')})` : ''}`,
    lost,
    doubled,
  };
}

/** A rule checked case by case: ok when no case breaks it; the first few that do are named. */
export function ruleVerdict(
  product: Product,
  invariant: string,
  expected: string,
  cases: number,
  broken: string[],
  extra: Partial<InvariantResult> = {},
): InvariantResult {
  return {
    product,
    invariant,
    ok: broken.length === 0,
    expected,
    observed:
      broken.length === 0
        ? `holds for all ${cases}`
        : `${broken.length} of ${cases} break it: ${broken.slice(0, EXAMPLES).join('; ')}`,
    ...extra,
  };
}

/** A read that could not be made is a failed check, not a crash of the whole run. */
export function unreadable(product: Product, invariant: string, error: unknown): InvariantResult {
  return {
    product,
    invariant,
    ok: false,
    expected: 'an answer',
    observed: `could not read: ${error instanceof Error ? error.message : String(error)}`,
  };
}
