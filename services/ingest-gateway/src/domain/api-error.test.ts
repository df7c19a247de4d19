import { describe, expect, it } from 'vitest';
import { apiError, invalidRequest } from './api-error.js';

describe('the API error shape, as the gateway words it', () => {
  it('always carries a code, a sentence and the details', () => {
    expect(apiError('unauthorized', 'no key')).toEqual({ error: 'unauthorized', message: 'no key', details: [] });
  });

  it('says what is wrong with a formatted string (an amount, a write id), and names a repeated item', () => {
    const error = invalidRequest('body', [
      {
        instancePath: '/amount',
        keyword: 'format',
        params: { format: 'decimal-amount' },
        message: 'must match format "decimal-amount"',
        data: '1e3',
      },
      {
        instancePath: '/id',
        keyword: 'format',
        params: { format: 'write-id' },
        message: 'must match format "write-id"',
        data: 'app:007',
      },
      {
        instancePath: '/other',
        keyword: 'format',
        params: { format: 'email' },
        message: 'must match format "email"',
        data: 'x',
      },
      { instancePath: '/userIds', keyword: 'uniqueItems', params: { i: 4, j: 1 } },
    ]);
    expect(error.details).toEqual([
      { field: 'body.amount', message: 'must be written out in digits, without an exponent, such as "12.34"' },
      { field: 'body.id', message: 'must be written as the write was answered, without leading zeros in the seq' },
      { field: 'body.other', message: 'must match format "email"' },
      { field: 'body.userIds', message: 'must not repeat an item (items 1 and 4 are the same)' },
    ]);
  });

  it("words a tagged shape's bad tag once: by the tag's own rule, not again by the discriminator", () => {
    const discriminator = (tagValue: unknown) => ({
      instancePath: '/members/0',
      keyword: 'discriminator',
      params: { error: 'mapping', tag: 'type', tagValue },
      message: 'value of tag "type" must be in oneOf',
    });
    expect(
      invalidRequest('body', [
        { instancePath: '/members/0/type', keyword: 'enum', params: { allowedValues: ['credit', 'transfer'] } },
        discriminator('refund'),
      ]).details,
    ).toEqual([{ field: 'body.members.0.type', message: 'must be one of credit, transfer' }]);
    expect(
      invalidRequest('body', [
        { instancePath: '/members/0', keyword: 'required', params: { missingProperty: 'type' } },
        discriminator(undefined),
      ]).details,
    ).toEqual([{ field: 'body.members.0.type', message: 'is required' }]);
    // alone, it is still said
    expect(invalidRequest('body', [discriminator('refund')]).details).toEqual([
      { field: 'body.members.0', message: 'value of tag "type" must be in oneOf' },
    ]);
  });
});
