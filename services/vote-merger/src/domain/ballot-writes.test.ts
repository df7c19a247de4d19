import { describe, expect, it } from 'vitest';
import { ballotBody, ballotConflicts } from './ballot-writes.js';
import type { BallotIn } from './ballots.js';

const ballot = (id: string, change: Partial<BallotIn> = {}): BallotIn => ({
  pollId: 'best-song',
  userId: 'u1',
  optionId: 'a',
  region: 'kr',
  id,
  castAtMs: 1,
  ...change,
});

describe('ballots by write id', () => {
  it('a reuse names the first field that differs: poll, user, option, region', () => {
    const recorded = new Map([['app:1', ballotBody(ballot('app:1'))]]);
    const batch = [
      ballot('app:1', { castAtMs: 99 }),
      ballot('app:1', { optionId: 'b' }),
      ballot('app:1', { userId: 'u2', optionId: 'b' }),
      ballot('app:1', { pollId: 'best-album', userId: 'u2' }),
      ballot('app:1', { region: 'jp' }),
    ];
    expect(ballotConflicts(batch, recorded).map((c) => [batch.indexOf(c.ballot), c.reason])).toEqual([
      [1, 'id_reused_with_different_option'],
      [2, 'id_reused_with_different_user'],
      [3, 'id_reused_with_different_poll'],
      [4, 'id_reused_with_different_region'],
    ]);
  });

  it('within a batch, the first ballot of a new id stands; the same ballot again (received later) is no conflict', () => {
    const batch = [ballot('app:2'), ballot('app:2', { castAtMs: 5 }), ballot('app:2', { optionId: 'c' })];
    expect(ballotConflicts(batch, new Map()).map((c) => [batch.indexOf(c.ballot), c.field])).toEqual([[2, 'option']]);
  });
});
