import { describe, expect, it } from 'vitest';
import { countIncrements, decideBallots, settlePending, snapshotVersion, voterKey, type BallotIn } from './ballots.js';

const ballot = (userId: string, optionId: string, change: Partial<BallotIn> = {}): BallotIn => ({
  pollId: 'best-song',
  userId,
  optionId,
  region: 'kr',
  id: `app:${userId}:${optionId}`,
  castAtMs: 1,
  ...change,
});
const polls = new Map([['best-song', new Set(['a', 'b'])]]);

describe('decideBallots', () => {
  it('counts the first ballot of each user and supersedes the later ones', () => {
    const d = decideBallots('kr', [ballot('u1', 'a'), ballot('u2', 'b'), ballot('u1', 'b')], polls, new Set());
    expect(d.accepted.map((b) => [b.userId, b.optionId, b.status])).toEqual([
      ['u1', 'a', 'counted'],
      ['u2', 'b', 'counted'],
    ]);
    expect(d.superseded.map((b) => b.userId)).toEqual(['u1']);
    expect(d.refused).toEqual([]);
  });

  it('a user who voted in an earlier batch is superseded, whatever the option', () => {
    const d = decideBallots('kr', [ballot('u1', 'b')], polls, new Set([voterKey('best-song', 'u1')]));
    expect(d.accepted).toEqual([]);
    expect(d.superseded).toHaveLength(1);
  });

  it('the same user may vote in two polls', () => {
    const two = new Map([...polls, ['best-album', new Set(['x'])]]);
    const d = decideBallots('kr', [ballot('u1', 'a'), ballot('u1', 'x', { pollId: 'best-album' })], two, new Set());
    expect(d.accepted).toHaveLength(2);
  });

  it('refuses an unknown option without using up the vote', () => {
    const d = decideBallots('kr', [ballot('u1', 'zzz'), ballot('u1', 'a')], polls, new Set());
    expect(d.refused).toEqual([{ ballot: ballot('u1', 'zzz'), reason: 'unknown_option' }]);
    expect(d.accepted.map((b) => b.optionId)).toEqual(['a']);
  });

  it("refuses another region's ballot", () => {
    const d = decideBallots('kr', [ballot('u1', 'a', { region: 'jp' })], polls, new Set());
    expect(d.refused[0]?.reason).toBe('wrong_region');
    expect(d.accepted).toEqual([]);
  });

  it('keeps every ballot for a poll not known yet as pending, in order: the definition decides which counts', () => {
    const d = decideBallots(
      'kr',
      [ballot('u1', 'a', { pollId: 'later' }), ballot('u1', 'b', { pollId: 'later' })],
      polls,
      new Set(),
    );
    expect(d.accepted.map((b) => [b.optionId, b.status])).toEqual([
      ['a', 'pending'],
      ['b', 'pending'],
    ]);
    expect(d.superseded).toHaveLength(0);
  });
});

describe('settlePending', () => {
  it("counts pending ballots for the definition's options and voids the rest", () => {
    const { counted, voided } = settlePending(new Set(['a']), [
      { userId: 'u1', optionId: 'a' },
      { userId: 'u2', optionId: 'gone' },
    ]);
    expect(counted).toEqual([{ userId: 'u1', optionId: 'a' }]);
    expect(voided).toEqual([{ userId: 'u2', optionId: 'gone' }]);
  });

  it("counts each user's first pending ballot for one of its options, as if the definition had come first", () => {
    const pending = [
      { userId: 'u1', optionId: 'gone' },
      { userId: 'u1', optionId: 'a' },
      { userId: 'u1', optionId: 'b' },
      { userId: 'u2', optionId: 'b' },
    ];
    expect(settlePending(new Set(['a', 'b']), pending).counted).toEqual([pending[1], pending[3]]);
    // a user who already has a counted ballot keeps it
    expect(settlePending(new Set(['a', 'b']), pending, new Set(['u2'])).counted).toEqual([pending[1]]);
  });
});

describe('countIncrements and snapshotVersion', () => {
  it('adds up per poll and option', () => {
    const inc = countIncrements([
      { pollId: 'p', optionId: 'a' },
      { pollId: 'p', optionId: 'a' },
      { pollId: 'q', optionId: 'b' },
    ]);
    expect(inc.get('p')).toEqual(new Map([['a', 2]]));
    expect(inc.get('q')).toEqual(new Map([['b', 1]]));
  });

  it('the version is the number of counted ballots, so it grows with every change', () => {
    expect(snapshotVersion({})).toBe(0);
    expect(snapshotVersion({ a: 2, b: 3 })).toBe(5);
    expect(snapshotVersion(new Map([['a', 7]]))).toBe(7);
  });
});
