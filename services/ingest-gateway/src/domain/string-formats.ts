import { amountProblem } from '@tally/money';
import { writeIdProblem } from './ids.js';

const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * An amount's shape, whatever its asset: a positive decimal string. How many places it may have and how large it
 * may be are its asset's (ASSETS), judged once the asset is known (wallet-amounts.ts); a string that is no
 * decimal at all is told what is wrong with it, as amountProblem words it.
 */
export function decimalShapeProblem(value: string): string | undefined {
  if (!DECIMAL.test(value)) return amountProblem(value);
  return /[1-9]/.test(value) ? undefined : 'must be greater than 0';
}

/**
 * String rules a pattern cannot say (an amount above zero, a seq below 2^53), checked by name as JSON-schema
 * formats. Each says what is wrong with a value, so a client is told the reason, not just a regex.
 */
export const STRING_FORMATS = {
  'decimal-amount': decimalShapeProblem,
  'write-id': writeIdProblem,
} satisfies Record<string, (value: string) => string | undefined>;

export type StringFormat = keyof typeof STRING_FORMATS;

/** What is wrong with `value` under `format`, or undefined when nothing is (or the format is not ours). */
export function formatProblem(format: string, value: unknown): string | undefined {
  const problem = (STRING_FORMATS as Record<string, (value: string) => string | undefined>)[format];
  return problem && typeof value === 'string' ? problem(value) : undefined;
}
