import { describe, expect, it } from 'vitest';
import { call, expectProblem, gatewayForThisFile, testVoteRegions } from './fixtures/gateway.js';
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
} from '../src/test-support/poll-bad-input-cases.js';

const world = gatewayForThisFile('poll-bad-input');

/** Records on the polls topic and on every region's ballots topic. */
const counts = async () => [
  await world().pollDefinitions.count(),
  ...(await Promise.all(testVoteRegions.map((region) => world().ballots[region].count()))),
];

describe('bad input to the poll routes', () => {
  it('a valid definition and a valid vote in each region reach their topics (so unmoved topics below prove refusal, not a broken pipe)', async () => {
    const send = (method: string, path: string, headers: Record<string, string>, raw: string) =>
      call(world().base, method, path, { headers, body: raw });
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
    expect(await counts()).toEqual([1, 1, 1]);
  });

  it.each(cases)(
    '%s: %s %s answers exactly the expected 4xx in the error shape',
    async (_what, method, path, headers, raw, status, error, field) => {
      const answer = await call(world().base, method, path, { headers, body: raw });
      expectProblem(answer, status, error);
      if (field !== undefined)
        expect((answer.body.details as { field: string }[]).map((d) => d.field)).toContain(field);
    },
  );

  it('none of them reached Kafka: no topic moved past the valid records', async () => {
    expect(await counts()).toEqual([1, 1, 1]);
    expect((await world().pollDefinitions.records()).map((r) => r.key)).toEqual(['mama-2025']);
    for (const region of testVoteRegions)
      expect((await world().ballots[region].records()).map((r) => r.value.region)).toEqual([region]);
    expect(await world().queueCommands.count()).toBe(0);
  });

  it('says which regions it knows, and what is wrong with a weight and the options', async () => {
    const known = 'is not a region this gateway takes votes for (it knows kr, jp)';
    const region = await call(world().base, 'POST', votes, { headers: voter, body: vote({ region: unconfigured }) });
    expect(region.body).toEqual({
      error: 'invalid_request',
      message: `the request is invalid: body.region ${known}`,
      details: [{ field: 'body.region', message: known }],
    });
    const regions = await call(world().base, 'PUT', poll, {
      headers: admin,
      body: define({ regions: { kr: { weight: 1 }, eu: { weight: 1 }, xx: { weight: 2 } } }),
    });
    expect(regions.body.details).toEqual([
      { field: 'body.regions.eu', message: known },
      { field: 'body.regions.xx', message: known },
    ]);
    const weight = await call(world().base, 'PUT', poll, {
      headers: admin,
      body: define({ regions: { kr: { weight: 0 }, jp: { weight: 1001 } } }),
    });
    expect(weight.body.details).toEqual([
      { field: 'body.regions.kr.weight', message: 'must be above 0' },
      { field: 'body.regions.jp.weight', message: 'must be at most 1000' },
    ]);
    const repeated = await call(world().base, 'PUT', poll, {
      headers: admin,
      body: define({ options: ['a', 'b', 'a'] }),
    });
    expect(repeated.body.details).toEqual([
      { field: 'body.options', message: 'must not repeat an item (items 0 and 2 are the same)' },
    ]);
    expect(await counts()).toEqual([1, 1, 1]);
  });
});
