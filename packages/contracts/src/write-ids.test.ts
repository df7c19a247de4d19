import { describe, expect, it } from 'vitest';
import {
  InvalidWriteKeyError,
  formatWriteKey,
  isValidSeq,
  isValidSource,
  parseWriteKey,
  writeKey,
} from './write-ids.js';

describe('write keys', () => {
  it('accepts 1-64 characters of [A-Za-z0-9._:-] as a source', () => {
    for (const ok of ['a', 'player-7', 'web.eu:1', 'A_b.c:d-e', 'x'.repeat(64)])
      expect(isValidSource(ok), ok).toBe(true);
    for (const bad of ['', 'x'.repeat(65), 'has space', 'slash/no', 'ünï', 7, null])
      expect(isValidSource(bad), String(bad)).toBe(false);
  });

  it('accepts non-negative safe integers as a seq', () => {
    for (const ok of [0, 1, 2 ** 53 - 2]) expect(isValidSeq(ok)).toBe(true);
    for (const bad of [-1, 1.5, 2 ** 53 - 1, 2 ** 53, Number.NaN, Infinity, '3', null])
      expect(isValidSeq(bad), String(bad)).toBe(false);
  });

  it('formats as source:seq and parses back, also when the source holds colons', () => {
    for (const key of [writeKey('a', 0), writeKey('web:eu:1', 42)])
      expect(parseWriteKey(formatWriteKey(key))).toEqual(key);
    expect(formatWriteKey(writeKey('web:eu', 9))).toBe('web:eu:9');
  });

  it('refuses malformed ids with a sentence saying what is expected', () => {
    for (const bad of ['', 'nosep', ':5', 'a:', 'a:-1', 'a:1.5', 'bad source:1'])
      expect(() => parseWriteKey(bad), bad).toThrow(InvalidWriteKeyError);
    expect(() => writeKey('a', -1)).toThrow(/non-negative integer/);
  });
});
