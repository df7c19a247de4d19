import { describe, expect, it } from 'vitest';
import { TimeoutError, withTimeout } from './timeout.js';

describe('withTimeout', () => {
  it('passes on what settles in time, value or error', async () => {
    await expect(withTimeout(Promise.resolve(7), 50)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('refused')), 50)).rejects.toThrow('refused');
  });

  it('gives up after the time, naming what it waited for', async () => {
    const never = new Promise<void>(() => undefined);
    const late = withTimeout(never, 10, 'acknowledgement');
    await expect(late).rejects.toBeInstanceOf(TimeoutError);
    await expect(late).rejects.toThrow('no acknowledgement within 10 ms');
    await expect(withTimeout(never, 10)).rejects.toThrow('no answer within 10 ms');
  });
});
