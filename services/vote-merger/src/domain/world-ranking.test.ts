import { describe, expect, it } from 'vitest';
import {
  decideResults,
  fingerprint,
  isNewerSnapshot,
  newestSnapshots,
  nextResultVersion,
  rankWorld,
  type RegionSnapshot,
} from './world-ranking.js';

const snap = (
  counts: Record<string, number>,
  version = Object.values(counts).reduce((a, b) => a + b, 0),
): RegionSnapshot => ({ version, counts, takenAtMs: 1000 });

describe('rankWorld', () => {
  it('seed 003: a small region weighs as much as a big one, through shares', () => {
    // kr: 100 votes, 90 for a; jp: 100,000 votes, 60% for b. Summing raw counts would make b win by far.
    const ranking = rankWorld(
      { options: ['a', 'b'], regionWeights: { kr: 1, jp: 1 } },
      new Map([
        ['kr', snap({ a: 90, b: 10 })],
        ['jp', snap({ a: 40_000, b: 60_000 })],
      ]),
    );
    expect(ranking.ranking).toEqual([
      { optionId: 'a', score: (0.9 + 0.4) / 2, rank: 1 },
      { optionId: 'b', score: (0.1 + 0.6) / 2, rank: 2 },
    ]);
    expect(ranking.regions.jp).toEqual({
      weight: 1,
      votes: 100_000,
      counts: { a: 40_000, b: 60_000 },
      snapshotVersion: 100_000,
      snapshotAtMs: 1000,
    });
  });

  it('weights tip the balance', () => {
    const ranking = rankWorld(
      { options: ['a', 'b'], regionWeights: { kr: 1, jp: 3 } },
      new Map([
        ['kr', snap({ a: 90, b: 10 })],
        ['jp', snap({ a: 30, b: 70 })],
      ]),
    );
    expect(ranking.ranking[0]).toMatchObject({ optionId: 'b' });
    expect(ranking.ranking[0]!.score).toBeCloseTo((1 * 0.1 + 3 * 0.7) / 4, 12);
  });

  it('a region without votes, or without a snapshot, neither helps nor dilutes', () => {
    const poll = { options: ['a', 'b'], regionWeights: { kr: 1, jp: 5, tw: 2 } };
    const ranking = rankWorld(
      poll,
      new Map([
        ['kr', snap({ a: 3, b: 1 })],
        ['jp', snap({})],
      ]),
    );
    expect(ranking.ranking.map((r) => r.score)).toEqual([0.75, 0.25]);
    expect(ranking.regions.tw).toEqual({
      weight: 2,
      votes: 0,
      counts: { a: 0, b: 0 },
      snapshotVersion: 0,
      snapshotAtMs: null,
    });
  });

  it('counts for options the poll does not have, and regions it does not name, are left out', () => {
    const ranking = rankWorld(
      { options: ['a', 'b'], regionWeights: { kr: 1 } },
      new Map([
        ['kr', snap({ a: 1, b: 1, removed: 98 })],
        ['xx', snap({ b: 100 })],
      ]),
    );
    expect(ranking.regions).toEqual({
      kr: { weight: 1, votes: 2, counts: { a: 1, b: 1 }, snapshotVersion: 100, snapshotAtMs: 1000 },
    });
    expect(ranking.ranking.map((r) => r.score)).toEqual([0.5, 0.5]);
  });

  it('ties are ordered by optionId; no votes anywhere ranks every option 0 by id', () => {
    const ranking = rankWorld({ options: ['c', 'a', 'b'], regionWeights: { kr: 1 } }, new Map());
    expect(ranking.ranking).toEqual([
      { optionId: 'a', score: 0, rank: 1 },
      { optionId: 'b', score: 0, rank: 2 },
      { optionId: 'c', score: 0, rank: 3 },
    ]);
  });

  it('scores of all options add up to 1 when any region has votes', () => {
    const ranking = rankWorld(
      { options: ['a', 'b', 'c'], regionWeights: { kr: 0.5, jp: 2, na: 1 } },
      new Map([
        ['kr', snap({ a: 7, b: 2, c: 1 })],
        ['jp', snap({ a: 1, c: 3 })],
        ['na', snap({ b: 5 })],
      ]),
    );
    expect(ranking.ranking.reduce((s, r) => s + r.score, 0)).toBeCloseTo(1, 12);
  });
});

describe('versions', () => {
  it('a snapshot is newer only with a higher version', () => {
    expect(isNewerSnapshot({ version: 0 }, undefined)).toBe(true);
    expect(isNewerSnapshot({ version: 5 }, { version: 4 })).toBe(true);
    expect(isNewerSnapshot({ version: 5 }, { version: 5 })).toBe(false);
    expect(isNewerSnapshot({ version: 3 }, { version: 5 })).toBe(false);
  });

  it('a result version grows by at least one, and starts from the clock', () => {
    expect(nextResultVersion(undefined, 1_000)).toBe(1_000);
    expect(nextResultVersion(1_000, 1_000)).toBe(1_001);
    expect(nextResultVersion(5_000, 1_000)).toBe(5_001);
    expect(nextResultVersion(5_000, 9_000)).toBe(9_000);
  });

  it('the fingerprint tells a change from a repeat', () => {
    const poll = { options: ['a', 'b'], regionWeights: { kr: 1 } };
    const one = rankWorld(poll, new Map([['kr', snap({ a: 1 })]]));
    expect(fingerprint(rankWorld(poll, new Map([['kr', snap({ a: 1 })]])))).toBe(fingerprint(one));
    expect(fingerprint(rankWorld(poll, new Map([['kr', snap({ a: 2 })]])))).not.toBe(fingerprint(one));
    expect(fingerprint(rankWorld({ ...poll, regionWeights: { kr: 2 } }, new Map([['kr', snap({ a: 1 })]])))).not.toBe(
      fingerprint(one),
    );
  });
});

describe('decideResults', () => {
  const rules = new Map([['p', { options: ['a', 'b'], regionWeights: { kr: 1 } }]]);
  const snapshots = new Map([['p', new Map([['kr', snap({ a: 2, b: 1 })]])]]);

  it('gives a changed result a new version computed now, and keeps it', () => {
    const { results, changed } = decideResults(rules, snapshots, new Map(), 5_000);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ pollId: 'p', version: 5_000, computedAtMs: 5_000 });
    expect(changed).toEqual([
      { result: results[0], fingerprint: fingerprint(rankWorld(rules.get('p')!, snapshots.get('p')!)) },
    ]);
  });

  it('answers a repeat with the kept result and keeps nothing new', () => {
    const first = decideResults(rules, snapshots, new Map(), 5_000).changed[0]!;
    const again = decideResults(rules, snapshots, new Map([['p', first]]), 9_000);
    expect(again).toEqual({ results: [first.result], changed: [] });
  });
});

describe('newestSnapshots', () => {
  it("keeps each region's highest version per poll", () => {
    const s = (pollId: string, region: string, version: number) => ({ pollId, region, version });
    expect(
      newestSnapshots([s('p', 'kr', 2), s('p', 'kr', 5), s('p', 'jp', 1), s('p', 'kr', 3), s('q', 'kr', 1)]),
    ).toEqual([s('p', 'kr', 5), s('p', 'jp', 1), s('q', 'kr', 1)]);
  });
});
