import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, isRetriable, nextDelay, retryAfterMs } from './retry.js';

describe('retry', () => {
  it('retries what the error contract says, and the network', () => {
    expect(isRetriable('network')).toBe(true);
    expect(isRetriable({ status: 429, code: 'rate_limited' })).toBe(true);
    expect(isRetriable({ status: 503 })).toBe(true);
    expect(isRetriable({ status: 500, code: 'internal' })).toBe(false);
    expect(isRetriable({ status: 400, code: 'invalid_request' })).toBe(false);
    expect(isRetriable({ status: 409, code: 'id_reused' })).toBe(false);
    expect(isRetriable({ status: 404 })).toBe(false);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-12-05T12:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Sat, 05 Dec 2026 12:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('waits a random time under a doubling, capped ceiling, never below Retry-After', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        fc.option(fc.nat(60_000)),
        (attempt, r, after) => {
          const delay = nextDelay(attempt, DEFAULT_BACKOFF, () => r, after ?? undefined);
          const ceiling = Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.baseMs * 2 ** Math.min(attempt, 30));
          expect(delay).toBeGreaterThanOrEqual(after ?? 0);
          if (after === null) expect(delay).toBeLessThan(ceiling);
        },
      ),
    );
  });
});
