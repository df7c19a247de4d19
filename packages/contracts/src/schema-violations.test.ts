import { describe, expect, it } from 'vitest';
import { invalidFields, invalidRequest } from './schema-violations.js';

describe('schema violations, worded as the API error', () => {
  it('names each bad field by where it is and says what is wrong in words', () => {
    const error = invalidRequest('body', [
      { instancePath: '', keyword: 'required', params: { missingProperty: 'sessionId' } },
      { instancePath: '', keyword: 'additionalProperties', params: { additionalProperty: 'colour' } },
      { instancePath: '/seq', keyword: 'type', params: { type: 'integer' } },
      { instancePath: '/positionMs', keyword: 'maximum', params: { limit: 10, comparison: '<=' } },
      { instancePath: '/state', keyword: 'enum', params: { allowedValues: ['playing', 'ended'] } },
      { instancePath: '/source', keyword: 'pattern', params: { pattern: '^a$' } },
      { instancePath: '/userId', keyword: 'maxLength', params: { limit: 128 } },
      { instancePath: '/at', keyword: 'type', params: { type: 'number' } },
      { instancePath: '/x', keyword: 'weird', params: {}, message: 'must be weird' },
    ]);
    expect(error.error).toBe('invalid_request');
    expect(error.message).toBe('the request is invalid: body.sessionId is required (and 8 more problems)');
    expect(error.details).toEqual([
      { field: 'body.sessionId', message: 'is required' },
      { field: 'body.colour', message: 'is not a known field' },
      { field: 'body.seq', message: 'must be an integer' },
      { field: 'body.positionMs', message: 'must be at most 10' },
      { field: 'body.state', message: 'must be one of playing, ended' },
      { field: 'body.source', message: 'must match ^a$' },
      { field: 'body.userId', message: 'must be at most 128 characters long' },
      { field: 'body.at', message: 'must be a number' },
      { field: 'body.x', message: 'must be weird' },
    ]);
  });

  it('paths into arrays and escaped keys, and caps the details', () => {
    const one = invalidRequest('items.3', [{ instancePath: '/a~1b/0', keyword: 'minimum', params: { limit: 0 } }]);
    expect(one).toEqual({
      error: 'invalid_request',
      message: 'the request is invalid: items.3.a/b.0 must be at least 0',
      details: [{ field: 'items.3.a/b.0', message: 'must be at least 0' }],
    });
    const many = invalidRequest(
      'body',
      Array.from({ length: 50 }, () => ({ instancePath: '/x', keyword: 'type', params: { type: 'string' } })),
    );
    expect(many.details).toHaveLength(20);
    expect(many.message).toContain('(and 49 more problems)');
  });

  it('words exclusive bounds and entry counts, as poll definitions use them', () => {
    const error = invalidRequest('body', [
      { instancePath: '/regions/kr/weight', keyword: 'exclusiveMinimum', params: { limit: 0, comparison: '>' } },
      { instancePath: '/regions', keyword: 'minProperties', params: { limit: 1 } },
      { instancePath: '/regions', keyword: 'maxProperties', params: { limit: 16 } },
    ]);
    expect(error.details).toEqual([
      { field: 'body.regions.kr.weight', message: 'must be above 0' },
      { field: 'body.regions', message: 'must have at least 1 entry' },
      { field: 'body.regions', message: 'must have at most 16 entries' },
    ]);
  });

  it('answers problems found past the schema in the same shape', () => {
    const region = { field: 'body.region', message: 'is not a region this gateway takes votes for (it knows kr)' };
    expect(invalidFields([region])).toEqual({
      error: 'invalid_request',
      message: `the request is invalid: body.region ${region.message}`,
      details: [region],
    });
    expect(invalidFields([region, region]).message).toMatch(/\(and 1 more problem\)$/);
  });

  it('leaves a format it has no words for to the validator', () => {
    const error = invalidRequest('body', [
      {
        instancePath: '/id',
        keyword: 'format',
        params: { format: 'write-id' },
        message: 'must match format "write-id"',
      },
    ]);
    expect(error.details).toEqual([{ field: 'body.id', message: 'must match format "write-id"' }]);
  });
});
