/**
 * The two generated files (`pnpm gen:client`) agree with each other and say what the SDK needs: checked by the
 * type checker (expectTypeOf), since api.ts is types only, and at run time for the contract's constants.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { components, paths } from './generated/api.js';
import { BATCH_BODY_LIMIT, ERROR_CODE_RETRIABLE, MAX_BATCH_ITEMS, type ErrorCode } from './generated/contract.js';

describe('the generated contract and API types', () => {
  it('name the same error codes, in the one error shape', () => {
    expectTypeOf<components['schemas']['ApiError']['error']>().toEqualTypeOf<ErrorCode>();
    type HeartbeatWrite = paths['/v1/streams/{streamId}/heartbeats']['post'];
    expectTypeOf<HeartbeatWrite['responses'][429]['content']['application/json']>().toEqualTypeOf<
      components['schemas']['ApiError']
    >();
    expect(Object.keys(ERROR_CODE_RETRIABLE)).toContain('rate_limited');
  });

  it('type a write: its path, its body with (source, seq), and its answer', () => {
    type HeartbeatWrite = paths['/v1/streams/{streamId}/heartbeats']['post'];
    expectTypeOf<HeartbeatWrite['parameters']['path']>().toEqualTypeOf<{ streamId: string }>();
    expectTypeOf<HeartbeatWrite['requestBody']['content']['application/json']>().toMatchObjectType<{
      source: string;
      seq: number;
    }>();
    expectTypeOf<HeartbeatWrite['responses'][202]['content']['application/json']>().toEqualTypeOf<{ id: string }>();
  });

  it('carry the batch limits a sender splits by', () => {
    expect(MAX_BATCH_ITEMS).toBe(1000);
    expect(BATCH_BODY_LIMIT).toBe(1024 * 1024);
  });
});
