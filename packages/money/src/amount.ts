/**
 * Money crosses the API as decimal strings ("12.34") and lives everywhere else as integer minor units
 * (hundredths: 1234). Never as a float: 0.1 + 0.2 is not 0.3 in binary floating point, and a balance must be
 * exactly the sum of its entries. So an amount is read digit by digit, and a JSON number is refused outright
 * (it was a float before we ever saw it).
 */
/** At most 13.2 digits: the largest amount, 9999999999999.99, is well below 2^53 minor units, so every amount is exact. */
export const AMOUNT_PATTERN = /^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$/;

const EXAMPLE = 'such as "12.34"';

/** The amount is not one we take; the message says why, in words a client can act on. */
export class InvalidAmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAmountError';
  }
}

/** Recognisable mistakes, checked in order, each with what to do instead; anything else gets the full rule. */
const mistakes: [RegExp, string][] = [
  [/^\s*$/, `must not be empty; send a positive decimal ${EXAMPLE}`],
  [/^\s|\s$/, `must not have spaces or line breaks around it, ${EXAMPLE}`],
  [/^[+-]/, `must not carry a sign: it is always positive, and the transaction type says credit or debit`],
  [/^[0-9.]*[eE]/, `must be written out in digits, without an exponent, ${EXAMPLE}`],
  [/\.[0-9]{3,}$/, `must have at most 2 digits after the point, ${EXAMPLE}`],
  [/^[0-9]{14,}(\.[0-9]*)?$/, `must have at most 13 digits before the point (at most 9999999999999.99)`],
  [/^0[0-9]/, `must not start with a leading zero, ${EXAMPLE}`],
  [/^\.|\.$/, `must have digits on both sides of the point, ${EXAMPLE}`],
];

/** Why `value` is not a valid amount, or undefined when it is one. */
export function amountProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return typeof value === 'number'
      ? `must be a string ${EXAMPLE}, not a JSON number (that would be a float)`
      : `must be a string ${EXAMPLE}`;
  }
  if (AMOUNT_PATTERN.test(value)) return /^0(\.0{1,2})?$/.test(value) ? 'must be greater than 0' : undefined;
  const known = mistakes.find(([pattern]) => pattern.test(value));
  return known
    ? known[1]
    : `must be a positive decimal with at most 13 digits before the point and 2 after, ${EXAMPLE}`;
}

/** "12.34" → 1234, "12.3" → 1230, "0.05" → 5: by the digits, never through a float. */
export function parseAmount(value: unknown): number {
  const problem = amountProblem(value);
  if (problem !== undefined) throw new InvalidAmountError(`the amount ${problem}`);
  const [whole, fraction = ''] = (value as string).split('.');
  return Number(BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0')));
}

/** 1234 → "12.34", 5 → "0.05", -250 → "-2.50": the decimal string of the API, by the digits. */
export function formatMinor(minor: number | bigint): string {
  if (typeof minor === 'number' && !Number.isSafeInteger(minor))
    throw new RangeError(`minor units must be a safe integer (got ${minor})`);
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}
