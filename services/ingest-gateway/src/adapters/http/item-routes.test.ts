/**
 * Bad input to the counters writes (likes, views, counter increments), through app.inject and no servers: each case is answered exactly its 4xx in the
 * error shape, and writes nothing; the valid writes beside them are written, so "nothing" proves refusal.
 * (test/poll-bad-input.test.ts proves the same against the real broker.)
 */
import { describe, expect, it } from 'vitest';
import { bearer, json, keys } from '../../test-support/keys.js';
import { expectProblem } from '../../test-support/problem.js';
import { recordCounts, unitGatewayForThisFile } from '../../test-support/unit-gateway.js';

const { topics, call } = unitGatewayForThisFile();

const withKey = { ...json, ...bearer(keys.counters) };
const likes = '/v1/items/item-1/likes';
const views = '/v1/items/item-1/views';
const bookings = '/v1/items/item-1/counters/bookings';
const validLike = { source: 'app-1', seq: 1, userId: 'user-1', liked: true };
const validIncrement = { source: 'app-1', seq: 2, by: 3 };

/** [what, path, headers, raw body, expected status, expected error code] */
type Case = [string, string, Record<string, string>, string, number, string];
const body = (value: unknown) => JSON.stringify(value);
const like = (change: Record<string, unknown>) => body({ ...validLike, ...change });
const increment = (change: Record<string, unknown>) => body({ ...validIncrement, ...change });
const likeWithout = (field: keyof typeof validLike) =>
  body(Object.fromEntries(Object.entries(validLike).filter(([k]) => k !== field)));
const counter = (name: string) => `/v1/items/item-1/counters/${name}`;

const cases: Case[] = [
  ['malformed JSON', likes, withKey, '{"source": "app-1", "seq": ', 400, 'malformed_json'],
  ['malformed JSON on a counter', bookings, withKey, '{"by": 1,,}', 400, 'malformed_json'],
  ['an empty body on a view', views, withKey, '', 400, 'malformed_json'],
  ['a JSON array', views, withKey, '[]', 400, 'invalid_request'],
  ['liked as a string', likes, withKey, like({ liked: 'true' }), 400, 'invalid_request'],
  ['liked as a number', likes, withKey, like({ liked: 1 }), 400, 'invalid_request'],
  ['by as a string', bookings, withKey, increment({ by: '5' }), 400, 'invalid_request'],
  ['seq as a string', views, withKey, body({ source: 'p', seq: '5' }), 400, 'invalid_request'],
  ['a negative seq', likes, withKey, like({ seq: -1 }), 400, 'invalid_request'],
  ['seq 2^53', bookings, withKey, increment({ seq: 2 ** 53 }), 400, 'invalid_request'],
  ['by 0', bookings, withKey, increment({ by: 0 }), 400, 'invalid_request'],
  ['by -5', bookings, withKey, increment({ by: -5 }), 400, 'invalid_request'],
  ['by 1e300', bookings, withKey, '{"source": "p", "seq": 1, "by": 1e300}', 400, 'invalid_request'],
  ['by 1000001', bookings, withKey, increment({ by: 1_000_001 }), 400, 'invalid_request'],
  ['a fractional by', bookings, withKey, increment({ by: 1.5 }), 400, 'invalid_request'],
  [
    'at in microseconds',
    views,
    withKey,
    body({ source: 'p', seq: 1, at: 1_750_000_000_000_000 }),
    400,
    'invalid_request',
  ],
  ['a negative at', likes, withKey, like({ at: -1 }), 400, 'invalid_request'],
  ['a like without userId', likes, withKey, likeWithout('userId'), 400, 'invalid_request'],
  ['a like without liked', likes, withKey, likeWithout('liked'), 400, 'invalid_request'],
  ['a like without source', likes, withKey, likeWithout('source'), 400, 'invalid_request'],
  ['a like without seq', likes, withKey, likeWithout('seq'), 400, 'invalid_request'],
  ['a null userId on a like', likes, withKey, like({ userId: null }), 400, 'invalid_request'],
  ['an unknown field on a like', likes, withKey, like({ weight: 2 }), 400, 'invalid_request'],
  ['an unknown field on a view', views, withKey, body({ source: 'p', seq: 1, liked: true }), 400, 'invalid_request'],
  ['an unknown field on a counter', bookings, withKey, increment({ counter: 'bookings' }), 400, 'invalid_request'],
  [
    'a userId of 129 characters on a view',
    views,
    withKey,
    body({ source: 'p', seq: 1, userId: 'u'.repeat(129) }),
    400,
    'invalid_request',
  ],
  [
    'a sessionId with a newline',
    views,
    withKey,
    body({ source: 'p', seq: 1, sessionId: 'a\nb' }),
    400,
    'invalid_request',
  ],
  ['a source with a space', bookings, withKey, increment({ source: 'app 1' }), 400, 'invalid_request'],
  ['a counter name in capitals', counter('Bookings'), withKey, increment({}), 400, 'invalid_request'],
  ['a counter name of 65 characters', counter('b'.repeat(65)), withKey, increment({}), 400, 'invalid_request'],
  ['the counter name likes', counter('likes'), withKey, increment({}), 400, 'invalid_request'],
  ['the counter name views', counter('views'), withKey, increment({}), 400, 'invalid_request'],
  ['a counter name starting with a digit', counter('7days'), withKey, increment({}), 400, 'invalid_request'],
  ['a counter name with a dash', counter('check-ins'), withKey, increment({}), 400, 'invalid_request'],
  [
    'an itemId of 129 characters',
    `/v1/items/${'i'.repeat(129)}/likes`,
    withKey,
    body(validLike),
    400,
    'invalid_request',
  ],
  ['an itemId with a space', '/v1/items/a%20b/views', withKey, body({ source: 'p', seq: 1 }), 400, 'invalid_request'],
  ['an oversized body', likes, withKey, like({ userId: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large'],
  [
    'text/plain',
    bookings,
    { ...bearer(keys.counters), 'content-type': 'text/plain' },
    increment({}),
    415,
    'unsupported_media_type',
  ],
  ['no Authorization', likes, json, body(validLike), 401, 'unauthorized'],
  ['no Authorization on a counter', bookings, json, increment({}), 401, 'unauthorized'],
  [
    'a wrong key',
    views,
    { ...json, authorization: 'Bearer not-a-key-of-ours-at-all' },
    body({ source: 'p', seq: 1 }),
    401,
    'unauthorized',
  ],
  [
    'a key without the counters:write scope',
    likes,
    { ...json, ...bearer(keys.writer) },
    body(validLike),
    403,
    'forbidden',
  ],
  [
    'a key without the counters:write scope on a view',
    views,
    { ...json, ...bearer(keys.second) },
    body({ source: 'p', seq: 1 }),
    403,
    'forbidden',
  ],
  [
    'a key without the counters:write scope on a counter',
    bookings,
    { ...json, ...bearer(keys.writer) },
    increment({}),
    403,
    'forbidden',
  ],
];

describe('bad input to the counters routes', () => {
  it('a valid like and a valid increment are written (so nothing written below proves refusal, not a broken pipe)', async () => {
    expect(await call('POST', likes, { headers: withKey, body: body(validLike) })).toMatchObject({
      status: 202,
      body: { id: 'app-1:1' },
    });
    expect(await call('POST', bookings, { headers: withKey, body: body(validIncrement) })).toMatchObject({
      status: 202,
      body: { id: 'app-1:2' },
    });
    expect(topics.itemEvents.records).toHaveLength(2);
  });

  it.each(cases)(
    '%s: %s answers exactly the expected 4xx in the error shape, and writes nothing',
    async (_what, path, headers, raw, status, error) => {
      const before = recordCounts(topics);
      const answer = await call('POST', path, { headers, body: raw });
      expectProblem(answer, status, error);
      if (error === 'invalid_request') expect((answer.body.details as unknown[]).length).toBeGreaterThan(0);
      expect(recordCounts(topics)).toEqual(before);
    },
  );

  it('wrote nothing for any of them: only the two valid records, keyed by item, on the item events topic alone', () => {
    expect(topics.itemEvents.records.map((r) => [r.key, r.value.kind, r.value.seq])).toEqual([
      ['item-1', 'LIKE', 1],
      ['item-1', 'INCREMENT', 2],
    ]);
    expect(recordCounts(topics)).toEqual({
      heartbeats: 0,
      itemEvents: 2,
      walletCommands: 0,
      queueCommands: 0,
      pollDefinitions: 0,
    });
  });

  it('says which field is wrong and how', async () => {
    const answer = await call('POST', likes, {
      headers: withKey,
      body: body({ source: 'p', seq: 1, liked: 'yes', colour: 'red' }),
    });
    expect(answer.body).toMatchObject({
      error: 'invalid_request',
      message: 'the request is invalid: body.userId is required (and 2 more problems)',
    });
    expect(answer.body.details).toEqual([
      { field: 'body.userId', message: 'is required' },
      { field: 'body.colour', message: 'is not a known field' },
      { field: 'body.liked', message: 'must be a boolean' },
    ]);
    const reserved = await call('POST', counter('likes'), { headers: withKey, body: increment({}) });
    expect(reserved.body.details).toEqual([{ field: 'params.name', message: expect.stringMatching(/^must match /) }]);
  });
});
