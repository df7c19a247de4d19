import { describe, expect, it } from 'vitest';
import {
  REGION_ID_PATTERN,
  ballotKey,
  ballotsTopic,
  pollRegionProblems,
  regionProblem,
  toBallot,
  toPollDefinition,
  voteRegionProblems,
} from './poll.js';

const configured = ['kr', 'jp', 'tw', 'na'];

describe('a poll definition request becomes a PollDefinition record', () => {
  it("carries the options and each region's weight under the gateway's (source, seq)", () => {
    const definedAt = 1_750_000_000_000;
    const request = { options: ['a', 'b', 'c'], regions: { kr: { weight: 1 }, jp: { weight: 2.5 } } };
    expect(toPollDefinition('song-2025', request, { source: 'gateway.ops', seq: definedAt * 1000 }, definedAt)).toEqual(
      {
        source: 'gateway.ops',
        seq: definedAt * 1000,
        pollId: 'song-2025',
        options: ['a', 'b', 'c'],
        regionWeights: { kr: 1, jp: 2.5 },
        definedAtMs: definedAt,
      },
    );
  });

  it('keeps the options in the order given and shares no array with the request', () => {
    const request = { options: ['z', 'a'], regions: { na: { weight: 1 } } };
    const definition = toPollDefinition('p', request, { source: 's', seq: 1 }, 0);
    request.options.push('late');
    expect(definition.options).toEqual(['z', 'a']);
  });
});

describe('a vote request becomes a Ballot record', () => {
  it("carries the client's (source, seq), the region, user and option, and when it was cast", () => {
    const ballot = toBallot(
      'song-2025',
      { source: 'app:kr', seq: 7, region: 'kr', userId: 'u1', optionId: 'b' },
      1_750_000_000_123,
    );
    expect(ballot).toEqual({
      source: 'app:kr',
      seq: 7,
      pollId: 'song-2025',
      region: 'kr',
      userId: 'u1',
      optionId: 'b',
      castAtMs: 1_750_000_000_123,
    });
  });

  it('is keyed by pollId/userId, so one user of one poll is always one key', () => {
    expect(ballotKey({ pollId: 'song-2025', userId: 'u1@example' })).toBe('song-2025/u1@example');
    // ids cannot hold '/', so two different (poll, user) pairs never share a key
    expect(ballotKey({ pollId: 'a.b', userId: 'c' })).not.toBe(ballotKey({ pollId: 'a', userId: 'b.c' }));
  });
});

describe("a region's ballots topic", () => {
  it('is the template with {region} replaced, wherever it stands', () => {
    expect(ballotsTopic('{region}.tally.votes.ballots', 'kr')).toBe('kr.tally.votes.ballots');
    expect(ballotsTopic('test.run-1.{region}.ballots', 'jp')).toBe('test.run-1.jp.ballots');
    expect(ballotsTopic('{region}.x.{region}', 'na')).toBe('na.x.na');
  });
});

describe('region ids', () => {
  it('are a lower-case letter, then up to 15 of a-z 0-9 -', () => {
    for (const id of ['kr', 'na', 'eu-west-1', 'a', `a${'b'.repeat(15)}`])
      expect(REGION_ID_PATTERN.test(id), id).toBe(true);
    for (const id of ['', 'KR', '1kr', '-kr', 'k.r', 'k_r', 'k r', `a${'b'.repeat(16)}`, '한국'])
      expect(REGION_ID_PATTERN.test(id), id).toBe(false);
  });
});

describe('only the regions this deployment takes votes for may be named', () => {
  it('takes a configured region and refuses any other, saying which are known', () => {
    expect(regionProblem('jp', configured)).toBeUndefined();
    expect(regionProblem('xx', configured)).toBe(
      'is not a region this gateway takes votes for (it knows kr, jp, tw, na)',
    );
    expect(regionProblem('KR', configured)).toBeDefined();
  });

  it('names each unconfigured region of a definition by its field', () => {
    const regions = { kr: { weight: 1 }, xx: { weight: 1 }, jp: { weight: 1 }, eu: { weight: 3 } };
    expect(pollRegionProblems({ options: ['a', 'b'], regions }, configured)).toEqual([
      { field: 'body.regions.xx', message: 'is not a region this gateway takes votes for (it knows kr, jp, tw, na)' },
      { field: 'body.regions.eu', message: 'is not a region this gateway takes votes for (it knows kr, jp, tw, na)' },
    ]);
    expect(
      pollRegionProblems({ options: ['a', 'b'], regions: { kr: { weight: 1 }, na: { weight: 2 } } }, configured),
    ).toEqual([]);
  });

  it("names a vote's unconfigured region as body.region", () => {
    const vote = { source: 'app', seq: 1, region: 'eu', userId: 'u', optionId: 'a' };
    expect(voteRegionProblems(vote, ['kr', 'jp'])).toEqual([
      { field: 'body.region', message: 'is not a region this gateway takes votes for (it knows kr, jp)' },
    ]);
    expect(voteRegionProblems({ ...vote, region: 'jp' }, ['kr', 'jp'])).toEqual([]);
  });
});
