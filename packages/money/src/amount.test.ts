import { describe, expect, it } from 'vitest';
import { AMOUNT_PATTERN, InvalidAmountError, amountProblem, formatMinor, parseAmount } from './amount.js';

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

describe('an amount that is not a positive decimal string of at most 13.2 digits is refused with the reason', () => {
  it.each([
    ['1e3', /without an exponent/],
    ['1E3', /without an exponent/],
    ['1.5e2', /without an exponent/],
    ['0.001', /at most 2 digits after the point/],
    ['12.345', /at most 2 digits after the point/],
    ['-5', /must not carry a sign/],
    ['+5', /must not carry a sign/],
    ['-0.01', /must not carry a sign/],
    ['NaN', /positive decimal with at most 13 digits before the point and 2 after/],
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
    ['1'.repeat(25), /at most 13 digits before the point/],
    ['12345678901234', /at most 13 digits before the point/],
    ['12345678901234.5', /at most 13 digits before the point/],
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

  it('matches the documented pattern exactly, zero aside', () => {
    for (const text of ['0', '0.5', '0.05', '10', '9999999999999.99'])
      expect(AMOUNT_PATTERN.test(text), text).toBe(true);
    for (const text of ['01', '1.', '.1', '1.234', '10000000000000', '-1'])
      expect(AMOUNT_PATTERN.test(text), text).toBe(false);
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
    expect([0n, 5n, 1234n, -250n].map(formatMinor)).toEqual(['0.00', '0.05', '12.34', '-2.50']);
    expect(formatMinor(9_007_199_254_740_991n)).toBe('90071992547409.91');
  });
});
