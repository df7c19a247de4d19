import { describe, expect, it } from 'vitest';
import { KafkaUnavailableError } from './producer.js';
import { TransientError, isTransient } from './transient.js';

const withCode = (code: string) => Object.assign(new Error('x'), { code });

describe('isTransient', () => {
  it('recognises unavailable dependencies, also behind a cause', () => {
    for (const error of [
      withCode('ECONNREFUSED'),
      withCode('40001'), // Postgres serialization failure: retrying is the documented answer
      withCode('57P01'), // Postgres admin shutdown
      new TransientError('later'),
      new KafkaUnavailableError('t', new Error('down')),
      new Error('Connection is closed.'),
      new Error('wrapped', { cause: withCode('ECONNRESET') }),
      Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }),
    ]) {
      expect(isTransient(error), String(error)).toBe(true);
    }
  });

  it('treats bugs and bad data as permanent', () => {
    for (const error of [
      new TypeError('cannot read x of undefined'),
      withCode('23505'),
      new RangeError('bad'),
      'a string',
      undefined,
    ]) {
      expect(isTransient(error), String(error)).toBe(false);
    }
  });
});
