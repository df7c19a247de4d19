/**
 * Bad input to the global-vote writes (poll definitions, votes), through app.inject and no servers: each case is answered exactly its 4xx in the
 * error shape, and writes nothing; the valid writes beside them are written, so "nothing" proves refusal.
 * (test/poll-bad-input.test.ts proves the same against the real broker.)
 */
import { describe, expect, it } from 'vitest';
import { bearer, json, keys } from '../../test-support/keys.js';
import { detailFields, expectProblem } from '../../test-support/problem.js';
import { recordCounts, unitGatewayForThisFile } from '../../test-support/unit-gateway.js';

/** The regions this unit gateway takes votes for: a ballots topic each. */
const testVoteRegions = ['kr', 'jp'] as const;
const { topics, call } = unitGatewayForThisFile(testVoteRegions);

const voter = { ...json, ...bearer(keys.polls) };
const admin = { ...json, ...bearer(keys.pollAdmin) };
const poll = '/v1/polls/mama-2025';
const votes = `${poll}/votes`;
const validDefinition = { options: ['song-a', 'song-b'], regions: { kr: { weight: 1 }, jp: { weight: 2 } } };
const validVote = { source: 'app', seq: 1, region: 'kr', userId: 'u1', optionId: 'song-a' };

/** [what, method, path, headers, raw body, expected status, expected error code, the field named in the details] */
type Case = [string, string, string, Record<string, string>, string, number, string, string?];
const body = (value: unknown) => JSON.stringify(value);
const define = (change: Record<string, unknown>) => body({ ...validDefinition, ...change });
const vote = (change: Record<string, unknown>) => body({ ...validVote, ...change });
const without = (value: Record<string, unknown>, field: string) =>
  body(Object.fromEntries(Object.entries(value).filter(([k]) => k !== field)));
const options = (n: number) => Array.from({ length: n }, (_, i) => `o${i}`);

const badWeights: [string, unknown][] = [
  ['0', 0],
  ['-1', -1],
  ['1001', 1001],
  ['"1"', '1'],
  ['null', null],
  ['true', true],
];
const badSeqs: [string, unknown][] = [
  ['-1', -1],
  ['2^53', 2 ** 53],
  ['"1"', '1'],
  ['1.5', 1.5],
  ['null', null],
];
const badIds: [string, unknown][] = [
  ['of 129 characters', 'x'.repeat(129)],
  ['with a space', 'a b'],
  ['empty', ''],
  ['a number', 7],
  ['with a slash', 'a/b'],
];
const badPollIds = ['p'.repeat(129), 'a%20b', 'a%2Fb', 'caf%C3%A9'];
const unconfigured = 'tw'; // a region the default deployment has, but this test gateway does not

const cases: Case[] = [
  // define
  ...badWeights.map(([what, weight]): Case => [
    `weight ${what}`,
    'PUT',
    poll,
    admin,
    define({ regions: { kr: { weight } } }),
    400,
    'invalid_request',
    'body.regions.kr.weight',
  ]),
  [
    'a region without a weight',
    'PUT',
    poll,
    admin,
    define({ regions: { kr: {} } }),
    400,
    'invalid_request',
    'body.regions.kr.weight',
  ],
  [
    'a region with an unknown field',
    'PUT',
    poll,
    admin,
    define({ regions: { kr: { weight: 1, cap: 5 } } }),
    400,
    'invalid_request',
    'body.regions.kr.cap',
  ],
  [
    'a region as a bare number',
    'PUT',
    poll,
    admin,
    define({ regions: { kr: 1 } }),
    400,
    'invalid_request',
    'body.regions.kr',
  ],
  [
    `an unconfigured region (${unconfigured})`,
    'PUT',
    poll,
    admin,
    define({ regions: { kr: { weight: 1 }, [unconfigured]: { weight: 1 } } }),
    400,
    'invalid_request',
    `body.regions.${unconfigured}`,
  ],
  [
    'an unknown region (xx)',
    'PUT',
    poll,
    admin,
    define({ regions: { xx: { weight: 1 } } }),
    400,
    'invalid_request',
    'body.regions.xx',
  ],
  ['no regions at all', 'PUT', poll, admin, define({ regions: {} }), 400, 'invalid_request', 'body.regions'],
  [
    '17 regions',
    'PUT',
    poll,
    admin,
    define({ regions: Object.fromEntries(options(17).map((r) => [r, { weight: 1 }])) }),
    400,
    'invalid_request',
    'body.regions',
  ],
  [
    'regions as an array',
    'PUT',
    poll,
    admin,
    define({ regions: [{ kr: { weight: 1 } }] }),
    400,
    'invalid_request',
    'body.regions',
  ],
  [
    'duplicate options',
    'PUT',
    poll,
    admin,
    define({ options: ['song-a', 'song-b', 'song-a'] }),
    400,
    'invalid_request',
    'body.options',
  ],
  ['1 option', 'PUT', poll, admin, define({ options: ['song-a'] }), 400, 'invalid_request', 'body.options'],
  ['no options', 'PUT', poll, admin, define({ options: [] }), 400, 'invalid_request', 'body.options'],
  ['101 options', 'PUT', poll, admin, define({ options: options(101) }), 400, 'invalid_request', 'body.options'],
  [
    'an option with a space',
    'PUT',
    poll,
    admin,
    define({ options: ['song a', 'song-b'] }),
    400,
    'invalid_request',
    'body.options.0',
  ],
  [
    'an option of 129 characters',
    'PUT',
    poll,
    admin,
    define({ options: ['song-a', 'o'.repeat(129)] }),
    400,
    'invalid_request',
    'body.options.1',
  ],
  [
    'a number as option',
    'PUT',
    poll,
    admin,
    define({ options: ['song-a', 2] }),
    400,
    'invalid_request',
    'body.options.1',
  ],
  [
    'options as a string',
    'PUT',
    poll,
    admin,
    define({ options: 'song-a,song-b' }),
    400,
    'invalid_request',
    'body.options',
  ],
  ['no options field', 'PUT', poll, admin, without(validDefinition, 'options'), 400, 'invalid_request', 'body.options'],
  ['no regions field', 'PUT', poll, admin, without(validDefinition, 'regions'), 400, 'invalid_request', 'body.regions'],
  ['an unknown field on define', 'PUT', poll, admin, define({ title: 'MAMA' }), 400, 'invalid_request', 'body.title'],
  [
    'a seq on define (the gateway names it)',
    'PUT',
    poll,
    admin,
    define({ source: 'app', seq: 1 }),
    400,
    'invalid_request',
    'body.seq',
  ],
  ['a JSON array on define', 'PUT', poll, admin, body([validDefinition]), 400, 'invalid_request'],
  ['malformed JSON on define', 'PUT', poll, admin, '{"options": [', 400, 'malformed_json'],
  [
    'an unknown query field on define',
    'PUT',
    `${poll}?force=true`,
    admin,
    body(validDefinition),
    400,
    'invalid_request',
    'querystring.force',
  ],
  ['an oversized define', 'PUT', poll, admin, define({ pad: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large'],
  [
    'text/plain on define',
    'PUT',
    poll,
    { ...bearer(keys.pollAdmin), 'content-type': 'text/plain' },
    body(validDefinition),
    415,
    'unsupported_media_type',
  ],
  ['no Authorization on define', 'PUT', poll, json, body(validDefinition), 401, 'unauthorized'],
  [
    'a wrong key on define',
    'PUT',
    poll,
    { ...json, authorization: 'Bearer not-a-key-of-ours-at-all' },
    body(validDefinition),
    401,
    'unauthorized',
  ],
  ['a key with polls:write but not polls:admin on define', 'PUT', poll, voter, body(validDefinition), 403, 'forbidden'],
  [
    'a queues:admin key on define',
    'PUT',
    poll,
    { ...json, ...bearer(keys.queueAdmin) },
    body(validDefinition),
    403,
    'forbidden',
  ],
  // vote
  ...badSeqs.map(([what, seq]): Case => [
    `seq ${what}`,
    'POST',
    votes,
    voter,
    vote({ seq }),
    400,
    'invalid_request',
    'body.seq',
  ]),
  ...badIds.flatMap(([what, id]): Case[] => [
    [`a userId ${what}`, 'POST', votes, voter, vote({ userId: id }), 400, 'invalid_request', 'body.userId'],
    [`an optionId ${what}`, 'POST', votes, voter, vote({ optionId: id }), 400, 'invalid_request', 'body.optionId'],
  ]),
  ...['source', 'seq', 'region', 'userId', 'optionId'].map((field): Case => [
    `no ${field}`,
    'POST',
    votes,
    voter,
    without(validVote, field),
    400,
    'invalid_request',
    `body.${field}`,
  ]),
  [
    `an unconfigured region (${unconfigured})`,
    'POST',
    votes,
    voter,
    vote({ region: unconfigured }),
    400,
    'invalid_request',
    'body.region',
  ],
  ['an unknown region (xx)', 'POST', votes, voter, vote({ region: 'xx' }), 400, 'invalid_request', 'body.region'],
  ['an upper-case region', 'POST', votes, voter, vote({ region: 'KR' }), 400, 'invalid_request', 'body.region'],
  ['a region as an array', 'POST', votes, voter, vote({ region: ['kr'] }), 400, 'invalid_request', 'body.region'],
  ['a source with a space', 'POST', votes, voter, vote({ source: 'my app' }), 400, 'invalid_request', 'body.source'],
  [
    'a source of 65 characters',
    'POST',
    votes,
    voter,
    vote({ source: 's'.repeat(65) }),
    400,
    'invalid_request',
    'body.source',
  ],
  ['an unknown field on vote', 'POST', votes, voter, vote({ weight: 2 }), 400, 'invalid_request', 'body.weight'],
  [
    'a castAt on vote (the gateway stamps it)',
    'POST',
    votes,
    voter,
    vote({ castAtMs: 1 }),
    400,
    'invalid_request',
    'body.castAtMs',
  ],
  ['malformed JSON on vote', 'POST', votes, voter, '{"source": "app", ', 400, 'malformed_json'],
  ['an empty body on vote', 'POST', votes, voter, '', 400, 'malformed_json'],
  ['a JSON string on vote', 'POST', votes, voter, '"kr"', 400, 'invalid_request'],
  [
    'an unknown query field on vote',
    'POST',
    `${votes}?region=kr`,
    voter,
    body(validVote),
    400,
    'invalid_request',
    'querystring.region',
  ],
  ['an oversized vote', 'POST', votes, voter, vote({ pad: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large'],
  [
    'text/plain on vote',
    'POST',
    votes,
    { ...bearer(keys.polls), 'content-type': 'text/plain' },
    body(validVote),
    415,
    'unsupported_media_type',
  ],
  ['no Authorization on vote', 'POST', votes, json, body(validVote), 401, 'unauthorized'],
  ['a key without polls:write on vote', 'POST', votes, admin, body(validVote), 403, 'forbidden'],
  ['a viewers key on vote', 'POST', votes, { ...json, ...bearer(keys.writer) }, body(validVote), 403, 'forbidden'],
  // poll ids, on both writes
  ...badPollIds.flatMap((pollId): Case[] => [
    [
      `poll id ${pollId.slice(0, 12)} on define`,
      'PUT',
      `/v1/polls/${pollId}`,
      admin,
      body(validDefinition),
      400,
      'invalid_request',
      'params.pollId',
    ],
    [
      `poll id ${pollId.slice(0, 12)} on vote`,
      'POST',
      `/v1/polls/${pollId}/votes`,
      voter,
      body(validVote),
      400,
      'invalid_request',
      'params.pollId',
    ],
  ]),
];

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
