import { describe, expect, it } from 'vitest';
import { InvalidAmountError, MAX_MINOR, amountProblem, formatMinor, parseAmount, parseMinor } from './amount.js';

/** Reads `value` and returns the message of the refusal, failing the test when it is accepted. */
function refusal(value: unknown): string {
  try {
    parseAmount(value);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAmountError);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted`);
}

describe('an amount is read to integer minor units by its digits', () => {
  it.each([
    ['0.01', 1],
    ['0.05', 5],
    ['0.1', 10],
    ['0.10', 10],
    ['1', 100],
    ['12.3', 1230],
    ['12.34', 1234],
    ['100', 10_000],
    ['1000000.5', 100_000_050],
    ['9999999999999', 999_999_999_999_900],
    ['9999999999999.99', 999_999_999_999_999],
  ])('%s is %i', (text, minor) => {
    expect(parseAmount(text)).toBe(minor);
    expect(amountProblem(text)).toBeUndefined();
  });

  it('is exact where floats are not: 0.29 and 1.005-like values keep every digit', () => {
    // parseFloat('0.29') * 100 is 28.999999999999996; reading the digits is not
    expect(parseAmount('0.29')).toBe(29);
    expect(parseAmount('4.35')).toBe(435);
    expect(parseAmount('1234567890123.45')).toBe(123_456_789_012_345);
  });

  it('never reaches 2^53, so every amount is an exact number and a long in Avro', () => {
    // the largest amount, 9999999999999.99, in minor units
    expect(Number.isSafeInteger(parseAmount('9999999999999.99'))).toBe(true);
  });
});

describe('an amount that is not a positive decimal string within 2^53 - 1 minor units is refused with the reason', () => {
  it.each([
    ['1e3', /without an exponent/],
    ['1E3', /without an exponent/],
    ['1.5e2', /without an exponent/],
    ['0.001', /at most 2 digits after the point/],
    ['12.345', /at most 2 digits after the point/],
    ['-5', /must not carry a sign/],
    ['+5', /must not carry a sign/],
    ['-0.01', /must not carry a sign/],
    ['NaN', /positive decimal, such as/],
    ['Infinity', /positive decimal/],
    ['-Infinity', /must not carry a sign/],
    ['', /must not be empty/],
    ['   ', /must not be empty/],
    [' 5', /spaces/],
    ['5\n', /line breaks/],
    ['1.', /digits on both sides of the point/],
    ['.5', /digits on both sides of the point/],
    ['00.5', /leading zero/],
    ['007', /leading zero/],
    ['0', /greater than 0/],
    ['0.0', /greater than 0/],
    ['0.00', /greater than 0/],
    ['1'.repeat(25), /must be at most 90071992547409.91/],
    ['90071992547409.92', /must be at most 90071992547409.91/],
    ['1,000.00', /positive decimal/],
    ['12.34 EUR', /positive decimal/],
    ['0x10', /positive decimal/],
    ['١٢', /positive decimal/],
    ['1..2', /positive decimal/],
  ])('%j: %s', (text, reason) => {
    expect(refusal(text)).toMatch(reason);
    expect(refusal(text)).toMatch(/^the amount /);
  });

  it.each([
    [12.34, /not a JSON number \(that would be a float\)/],
    [1000, /not a JSON number/],
    [0.1, /not a JSON number/],
    [Number.POSITIVE_INFINITY, /not a JSON number/],
    [Number.NaN, /not a JSON number/],
    [null, /must be a string such as "12.34"/],
    [true, /must be a string/],
    [['12.34'], /must be a string/],
    [{ amount: '12.34' }, /must be a string/],
    [undefined, /must be a string/],
  ])('%j is not a string: %s', (value, reason) => {
    expect(refusal(value)).toMatch(reason);
  });

  it('says how to write it, with an example', () => {
    expect(amountProblem('12.345')).toBe('must have at most 2 digits after the point, such as "12.34"');
    expect(amountProblem('0')).toBe('must be greater than 0');
  });

  it('takes the largest amount there is, 2^53 - 1 minor units, exactly', () => {
    expect(parseMinor('90071992547409.91')).toBe(MAX_MINOR);
    expect(formatMinor(MAX_MINOR)).toBe('90071992547409.91');
  });
});

describe('minor units are written back as a decimal string with 2 digits after the point', () => {
  it.each([
    [0, '0.00'],
    [5, '0.05'],
    [10, '0.10'],
    [100, '1.00'],
    [1230, '12.30'],
    [1234, '12.34'],
    [999_999_999_999_999, '9999999999999.99'],
    [-250, '-2.50'],
    [-5, '-0.05'],
  ])('%i is %s', (minor, text) => {
    expect(formatMinor(minor)).toBe(text);
  });

  it('round-trips every amount', () => {
    for (const text of ['0.01', '12.34', '100.00', '9999999999999.99'])
      expect(formatMinor(parseAmount(text))).toBe(text);
  });

  it('refuses what is not a whole number of minor units', () => {
    expect(() => formatMinor(1.5)).toThrow(RangeError);
    expect(() => formatMinor(2 ** 53)).toThrow(RangeError);
  });
});

describe('formatMinor with bigint balances', () => {
  it('formats the same as numbers, up to the largest exact balance', () => {
    expect([0n, 5n, 1234n, -250n].map((minor) => formatMinor(minor))).toEqual(['0.00', '0.05', '12.34', '-2.50']);
    expect(formatMinor(9_007_199_254_740_991n)).toBe('90071992547409.91');
  });
});

describe('an asset with another scale reads and writes its own number of decimal places', () => {
  it.each([
    ['1234', 0, 1234n, '1234'],
    ['0.001', 3, 1n, '0.001'],
    ['12.5', 3, 12_500n, '12.500'],
    ['9007199254740991', 0, MAX_MINOR, '9007199254740991'],
    ['90071992.54740991', 8, MAX_MINOR, '90071992.54740991'],
  ])('%s at scale %i is %s minor units, written back as %s', (text, scale, minor, written) => {
    expect(parseMinor(text, scale)).toBe(minor);
    expect(formatMinor(minor, scale)).toBe(written);
  });

  it('refuses decimals an asset does not have, and amounts above its limit', () => {
    expect(amountProblem('12.5', 0)).toMatch(/whole number/);
    expect(amountProblem('1.2345', 3)).toMatch(/at most 3 digits after the point, such as "12.340"/);
    expect(amountProblem('100.01', 2, 10_000n)).toBe('must be at most 100.00');
  });
});
