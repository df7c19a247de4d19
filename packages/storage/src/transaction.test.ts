import { describe, expect, it } from 'vitest';
import { beginStatement } from './postgres.js';

describe('beginStatement', () => {
  it('opens at the server default unless an isolation level or read-only is asked for', () => {
    expect(beginStatement()).toBe('BEGIN');
    expect(beginStatement({ isolation: 'REPEATABLE READ', readOnly: true })).toBe(
      'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
    );
    expect(beginStatement({ isolation: 'SERIALIZABLE' })).toBe('BEGIN ISOLATION LEVEL SERIALIZABLE');
    expect(beginStatement({ readOnly: true })).toBe('BEGIN READ ONLY');
  });
});
