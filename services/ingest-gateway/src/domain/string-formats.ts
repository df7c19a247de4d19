import { amountProblem } from '@tally/money';
import { writeIdProblem } from './ids.js';

/**
 * String rules a pattern cannot say (an amount above zero, a seq below 2^53), checked by name as JSON-schema
 * formats. Each says what is wrong with a value, so a client is told the reason, not just a regex.
 */
export const STRING_FORMATS = {
  'decimal-amount': amountProblem,
  'write-id': writeIdProblem,
} satisfies Record<string, (value: string) => string | undefined>;

export type StringFormat = keyof typeof STRING_FORMATS;

/** What is wrong with `value` under `format`, or undefined when nothing is (or the format is not ours). */
export function formatProblem(format: string, value: unknown): string | undefined {
  const problem = (STRING_FORMATS as Record<string, (value: string) => string | undefined>)[format];
  return problem && typeof value === 'string' ? problem(value) : undefined;
}
