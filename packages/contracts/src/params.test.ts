import { describe, expect, it } from 'vitest';
import {
  ID_MAX_LENGTH,
  ID_PATTERN,
  TICKET_ID_PATTERN,
  WRITE_ID_MAX_LENGTH,
  WRITE_ID_PATTERN,
  admissionTokenParam,
  idParam,
  listLimit,
  writeIdParam,
} from './params.js';
import { MAX_SEQ, formatWriteKey } from './write-ids.js';

describe('the shared parameters', () => {
  it('take ids of up to 128 URL-safe characters', () => {
    expect(ID_MAX_LENGTH).toBe(128);
    for (const id of ['stream-1', 'a.b_c:d@e', 'X']) expect(ID_PATTERN.test(id), id).toBe(true);
    for (const id of ['', 'a b', 'a/b', 'é']) expect(ID_PATTERN.test(id), id).toBe(false);
    expect(idParam('The stream')).toEqual({
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9._:@-]+$',
      description: 'The stream',
    });
    expect(idParam()).not.toHaveProperty('description');
  });

  it('take a write id as it was answered: a source, a colon and a seq without leading zeros', () => {
    // the pattern wallet-ledger spelled by hand before, now derived from SOURCE_PATTERN and MAX_SEQ
    expect(WRITE_ID_PATTERN.source).toBe('^[A-Za-z0-9._:-]{1,64}:(0|[1-9][0-9]{0,15})$');
    expect(WRITE_ID_MAX_LENGTH).toBe(64 + 1 + 16);
    expect(formatWriteKey({ source: 's'.repeat(64), seq: MAX_SEQ }).length).toBe(WRITE_ID_MAX_LENGTH);
    for (const id of ['app:0', 'app:7', 'a:b:12', `app:${MAX_SEQ}`]) expect(WRITE_ID_PATTERN.test(id), id).toBe(true);
    for (const id of ['app:007', 'app:', ':1', 'app:-1', 'a b:1', `${'s'.repeat(65)}:1`])
      expect(WRITE_ID_PATTERN.test(id), id).toBe(false);
    expect(writeIdParam()).toEqual({ type: 'string', maxLength: 81, pattern: WRITE_ID_PATTERN.source });
  });

  it('take a ticket id, keyed (32 hex digits) or from before (24)', () => {
    expect(TICKET_ID_PATTERN.test(`t_${'a'.repeat(32)}`)).toBe(true);
    expect(TICKET_ID_PATTERN.test(`t_${'0'.repeat(24)}`)).toBe(true);
    expect(TICKET_ID_PATTERN.test(`t_${'a'.repeat(28)}`)).toBe(false);
    expect(TICKET_ID_PATTERN.test(`t_${'A'.repeat(32)}`)).toBe(false);
  });

  it('bound list reads to 100 items, each with its own default', () => {
    expect(listLimit(10)).toEqual({ type: 'integer', minimum: 1, maximum: 100, default: 10 });
    expect(listLimit(20, 'How many').default).toBe(20);
  });

  it('refuse an admission token that is not base64url parts joined by dots, or too long', () => {
    const token = new RegExp(admissionTokenParam().pattern);
    expect(token.test('eyJh.eyJi.c2ln')).toBe(true);
    expect(token.test('a b')).toBe(false);
    expect(admissionTokenParam().maxLength).toBe(2048);
  });
});
