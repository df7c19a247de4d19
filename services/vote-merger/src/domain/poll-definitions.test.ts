import { describe, expect, it } from 'vitest';
import { newestPerPoll } from './poll-definitions.js';

const def = (pollId: string, definedAtMs: number, seq: number) => ({ pollId, definedAtMs, seq });

describe('newestPerPoll', () => {
  it('keeps the latest definition of each poll, whatever the order they come in', () => {
    expect(newestPerPoll([def('a', 5, 1), def('b', 1, 1), def('a', 3, 9), def('a', 7, 0)])).toEqual([
      def('a', 7, 0),
      def('b', 1, 1),
    ]);
  });

  it('within one millisecond, the higher seq wins', () => {
    expect(newestPerPoll([def('a', 5, 2), def('a', 5, 1)])).toEqual([def('a', 5, 2)]);
    expect(newestPerPoll([def('a', 5, 1), def('a', 5, 2)])).toEqual([def('a', 5, 2)]);
  });
});
