/**
 * Money crosses the API as decimal strings ("12.34") and lives everywhere else as integer minor units (10^scale
 * per unit: 1234 hundredths). Never as a float: 0.1 + 0.2 is not 0.3 in binary floating point, and a balance must
 * be exactly the sum of its entries. So an amount is read digit by digit, and a JSON number is refused outright
 * (it was a float before we ever saw it).
 *
 * The ceiling of every amount and balance is the largest integer a JavaScript number and an Avro long decoded by
 * avsc both hold exactly, 2^53 - 1 minor units; Postgres' bigint holds far more. A balance at that ceiling
 * round-trips through JSON, Avro and Postgres unchanged.
 */
export const MAX_MINOR = BigInt(Number.MAX_SAFE_INTEGER);
/** More decimal places than this no currency or point system uses, and each one costs a digit of range. */
export const MAX_SCALE = 8;

/** The amount is not one we take; the message says why, in words a client can act on. */
export class InvalidAmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAmountError';
  }
}

const EXAMPLE = (scale: number) =>
  scale === 0 ? 'such as "1234"' : `such as "12.${'34'.padEnd(scale, '0').slice(0, scale)}"`;

/** Why `value` is not an amount of this scale up to `max` minor units, or undefined when it is one. */
export function amountProblem(value: unknown, scale = 2, max: bigint = MAX_MINOR): string | undefined {
  const example = EXAMPLE(scale);
  if (typeof value !== 'string')
    return typeof value === 'number'
      ? `must be a string ${example}, not a JSON number (that would be a float)`
      : `must be a string ${example}`;
  const shape = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(value);
  if (!shape) return shapeMistake(value, example);
  const fraction = shape[2] ?? '';
  if (fraction.length > scale)
    return scale === 0
      ? `must be a whole number (this asset has no decimal places), ${example}`
      : `must have at most ${scale} digits after the point, ${example}`;
  const minor = BigInt(shape[1]!) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0');
  if (minor === 0n) return 'must be greater than 0';
  if (minor > max) return `must be at most ${formatMinor(max, scale)}`;
  return undefined;
}

/** Recognisable mistakes, checked in order, each with what to do instead; anything else gets the full rule. */
function shapeMistake(value: string, example: string): string {
  const mistakes: [RegExp, string][] = [
    [/^\s*$/, `must not be empty; send a positive decimal ${example}`],
    [/^\s|\s$/, `must not have spaces or line breaks around it, ${example}`],
    [/^[+-]/, `must not carry a sign: it is always positive, and the transaction type says credit or debit`],
    [/^[0-9.]*[eE]/, `must be written out in digits, without an exponent, ${example}`],
    [/^0[0-9]/, `must not start with a leading zero, ${example}`],
    [/^\.|\.$/, `must have digits on both sides of the point, ${example}`],
  ];
  const known = mistakes.find(([pattern]) => pattern.test(value));
  return known ? known[1] : `must be a positive decimal, ${example}`;
}

/** "12.34" at scale 2 → 1234n, "12.3" → 1230n, "7" at scale 0 → 7n: by the digits, never through a float. */
export function parseMinor(value: unknown, scale = 2, max: bigint = MAX_MINOR): bigint {
  const problem = amountProblem(value, scale, max);
  if (problem !== undefined) throw new InvalidAmountError(`the amount ${problem}`);
  const [whole, fraction = ''] = (value as string).split('.');
  return BigInt(whole!) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0');
}

/** As parseMinor, as the number an Avro long carries (exact: never above MAX_MINOR). */
export const parseAmount = (value: unknown, scale = 2, max: bigint = MAX_MINOR): number =>
  Number(parseMinor(value, scale, max));

/** 1234 → "12.34", 5 → "0.05", -250 → "-2.50" at scale 2; 1234 → "1234" at scale 0: by the digits. */
export function formatMinor(minor: number | bigint, scale = 2): string {
  if (typeof minor === 'number' && !Number.isSafeInteger(minor))
    throw new RangeError(`minor units must be a safe integer (got ${minor})`);
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0');
  return scale === 0 ? `${sign}${digits}` : `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
