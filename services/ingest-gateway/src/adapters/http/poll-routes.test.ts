/**
 * Bad input to the global-vote writes (poll definitions, votes), through app.inject and no servers: each case is answered exactly its 4xx in the
 * error shape, and writes nothing; the valid writes beside them are written, so "nothing" proves refusal.
 * (test/poll-bad-input.test.ts proves the same against the real broker.)
 */
import { describe, expect, it } from 'vitest';
import { detailFields, expectProblem } from '../../test-support/problem.js';
import { recordCounts, unitGatewayForThisFile } from '../../test-support/unit-gateway.js';
import {
  admin,
  body,
  cases,
  define,
  poll,
  unconfigured,
  validDefinition,
  vote,
  voter,
  votes,
} from '../../test-support/poll-bad-input-cases.js';

/** The regions this unit gateway takes votes for: a ballots topic each. */
const testVoteRegions = ['kr', 'jp'] as const;
const { topics, call } = unitGatewayForThisFile(testVoteRegions);

/** Records on the polls topic and on every region's ballots topic. */
const counts = () => [
  topics.pollDefinitions.records.length,
  ...testVoteRegions.map((region) => topics.ballots.get(region)!.records.length),
];

describe('bad input to the poll routes', () => {
  it('a valid definition and a valid vote in each region are written (so nothing written below proves refusal, not a broken pipe)', async () => {
    const send = (method: string, path: string, headers: Record<string, string>, raw: string) =>
      call(method, path, { headers, body: raw });
    expect(await send('PUT', poll, admin, body(validDefinition))).toMatchObject({
      status: 202,
      body: { id: expect.stringMatching(/^gateway\.test-poll-admin:\d+$/) },
    });
    for (const [i, region] of testVoteRegions.entries()) {
      expect(await send('POST', votes, voter, vote({ seq: i + 1, region }))).toMatchObject({
        status: 202,
        body: { id: `app:${i + 1}` },
      });
    }
    expect(counts()).toEqual([1, 1, 1]);
  });

  it.each(cases)(
    '%s: %s %s answers exactly the expected 4xx in the error shape, and writes nothing',
    async (_what, method, path, headers, raw, status, error, field) => {
      const before = recordCounts(topics);
      const answer = await call(method, path, { headers, body: raw });
      expectProblem(answer, status, error);
      if (field !== undefined) expect(detailFields(answer)).toContain(field);
      expect(recordCounts(topics)).toEqual(before);
    },
  );

  it("wrote nothing for any of them: only the valid definition and each region's one vote, each on its own topic", () => {
    expect(counts()).toEqual([1, 1, 1]);
    expect(topics.pollDefinitions.records.map((r) => r.key)).toEqual(['mama-2025']);
    for (const region of testVoteRegions)
      expect(topics.ballots.get(region)!.records.map((r) => [r.key, r.value.region])).toEqual([
        ['mama-2025/u1', region],
      ]);
    expect(recordCounts(topics)).toMatchObject({ heartbeats: 0, itemEvents: 0, walletCommands: 0, queueCommands: 0 });
  });

  it('says which regions it knows, and what is wrong with a weight and the options', async () => {
    const known = 'is not a region this gateway takes votes for (it knows kr, jp)';
    const region = await call('POST', votes, { headers: voter, body: vote({ region: unconfigured }) });
    expect(region.body).toEqual({
      error: 'invalid_request',
      message: `the request is invalid: body.region ${known}`,
      details: [{ field: 'body.region', message: known }],
    });
    const regions = await call('PUT', poll, {
      headers: admin,
      body: define({ regions: { kr: { weight: 1 }, eu: { weight: 1 }, xx: { weight: 2 } } }),
    });
    expect(regions.body.details).toEqual([
      { field: 'body.regions.eu', message: known },
      { field: 'body.regions.xx', message: known },
    ]);
    const weight = await call('PUT', poll, {
      headers: admin,
      body: define({ regions: { kr: { weight: 0 }, jp: { weight: 1001 } } }),
    });
    expect(weight.body.details).toEqual([
      { field: 'body.regions.kr.weight', message: 'must be above 0' },
      { field: 'body.regions.jp.weight', message: 'must be at most 1000' },
    ]);
    const repeated = await call('PUT', poll, { headers: admin, body: define({ options: ['a', 'b', 'a'] }) });
    expect(repeated.body.details).toEqual([
      { field: 'body.options', message: 'must not repeat an item (items 0 and 2 are the same)' },
    ]);
    expect(counts()).toEqual([1, 1, 1]);
  });
});
