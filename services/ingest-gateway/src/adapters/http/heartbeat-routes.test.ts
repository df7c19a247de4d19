/**
 * Bad input to the live-viewers writes, through app.inject and no servers: each case is answered exactly its 4xx
 * in the error shape, and writes nothing; the valid writes beside them are written, so "nothing" proves refusal.
 * (test/poll-bad-input.test.ts proves the same against the real broker.)
 */
import { describe, expect, it } from 'vitest';
import { bearer, json, keys } from '../../test-support/keys.js';
import { expectProblem } from '../../test-support/problem.js';
import { recordCounts, unitGatewayForThisFile } from '../../test-support/unit-gateway.js';

const { topics, call } = unitGatewayForThisFile();

const valid = { source: 'player-1', seq: 1, sessionId: 'sess-1', positionMs: 1000 };
const withKey = { ...json, ...bearer(keys.writer) };
const single = '/v1/streams/stream-1/heartbeats';
const batch = '/v1/heartbeats/batch';

/** [what, path, headers, raw body, expected status, expected error code] */
type Case = [string, string, Record<string, string>, string | undefined, number, string];
const body = (value: unknown) => JSON.stringify(value);
const heartbeat = (change: Record<string, unknown>) => body({ ...valid, ...change });
const without = (field: keyof typeof valid) =>
  body(Object.fromEntries(Object.entries(valid).filter(([k]) => k !== field)));

const cases: Case[] = [
  ['malformed JSON', single, withKey, '{"source": "player-1", "seq": ', 400, 'malformed_json'],
  ['an empty JSON body', single, withKey, '', 400, 'malformed_json'],
  [
    'a prototype-poisoning body',
    single,
    withKey,
    '{"__proto__": {"admin": true}, "source": "p", "seq": 1, "sessionId": "s", "positionMs": 0}',
    400,
    'malformed_json',
  ],
  ['a JSON array', single, withKey, '[1, 2]', 400, 'invalid_request'],
  ['JSON null', single, withKey, 'null', 400, 'invalid_request'],
  ['seq as a string', single, withKey, heartbeat({ seq: '5' }), 400, 'invalid_request'],
  ['positionMs as a boolean', single, withKey, heartbeat({ positionMs: true }), 400, 'invalid_request'],
  ['a negative seq', single, withKey, heartbeat({ seq: -1 }), 400, 'invalid_request'],
  ['a fractional seq', single, withKey, heartbeat({ seq: 1.5 }), 400, 'invalid_request'],
  [
    'seq 1e300',
    single,
    withKey,
    '{"source": "p", "seq": 1e300, "sessionId": "s", "positionMs": 0}',
    400,
    'invalid_request',
  ],
  ['seq 2^53', single, withKey, heartbeat({ seq: 2 ** 53 }), 400, 'invalid_request'],
  // a safe integer, but one past the longest long avsc encodes: it used to crash the gateway (fuzzing found it)
  ['seq 2^53 - 1', single, withKey, heartbeat({ seq: 2 ** 53 - 1 }), 400, 'invalid_request'],
  [
    'positionMs 2^60',
    single,
    withKey,
    '{"source": "p", "seq": 1, "sessionId": "s", "positionMs": 1152921504606846976}',
    400,
    'invalid_request',
  ],
  ['a negative positionMs', single, withKey, heartbeat({ positionMs: -5 }), 400, 'invalid_request'],
  ['at in microseconds', single, withKey, heartbeat({ at: 1_750_000_000_000_000 }), 400, 'invalid_request'],
  ['at as an ISO string', single, withKey, heartbeat({ at: '2026-01-01T00:00:00Z' }), 400, 'invalid_request'],
  ['at in the year 3000', single, withKey, heartbeat({ at: Date.UTC(3000, 0, 1) }), 400, 'invalid_request'],
  ['at exactly 2100-01-01', single, withKey, heartbeat({ at: Date.UTC(2100, 0, 1) }), 400, 'invalid_request'],
  ['no source', single, withKey, without('source'), 400, 'invalid_request'],
  ['no seq', single, withKey, without('seq'), 400, 'invalid_request'],
  ['no sessionId', single, withKey, without('sessionId'), 400, 'invalid_request'],
  ['no positionMs', single, withKey, without('positionMs'), 400, 'invalid_request'],
  ['an unknown field', single, withKey, heartbeat({ volume: 11 }), 400, 'invalid_request'],
  ['a source with a space', single, withKey, heartbeat({ source: 'player 1' }), 400, 'invalid_request'],
  ['a source with a slash', single, withKey, heartbeat({ source: 'a/b' }), 400, 'invalid_request'],
  ['a source of 65 characters', single, withKey, heartbeat({ source: 's'.repeat(65) }), 400, 'invalid_request'],
  ['an empty source', single, withKey, heartbeat({ source: '' }), 400, 'invalid_request'],
  ['a sessionId of 129 characters', single, withKey, heartbeat({ sessionId: 's'.repeat(129) }), 400, 'invalid_request'],
  ['a userId of 129 characters', single, withKey, heartbeat({ userId: 'u'.repeat(129) }), 400, 'invalid_request'],
  ['a null userId', single, withKey, heartbeat({ userId: null }), 400, 'invalid_request'],
  ['a sessionId with a newline', single, withKey, heartbeat({ sessionId: 'a\nb' }), 400, 'invalid_request'],
  [
    'a streamId of 129 characters',
    `/v1/streams/${'s'.repeat(129)}/heartbeats`,
    withKey,
    body(valid),
    400,
    'invalid_request',
  ],
  ['a streamId with a space', '/v1/streams/a%20b/heartbeats', withKey, body(valid), 400, 'invalid_request'],
  ['a state that does not exist', single, withKey, heartbeat({ state: 'paused' }), 400, 'invalid_request'],
  ['a state in capitals', single, withKey, heartbeat({ state: 'PLAYING' }), 400, 'invalid_request'],
  ['an oversized body', single, withKey, heartbeat({ sessionId: 'x'.repeat(70 * 1024) }), 413, 'payload_too_large'],
  [
    'text/plain',
    single,
    { ...bearer(keys.writer), 'content-type': 'text/plain' },
    body(valid),
    415,
    'unsupported_media_type',
  ],
  [
    'form encoding',
    single,
    { ...bearer(keys.writer), 'content-type': 'application/x-www-form-urlencoded' },
    'source=p&seq=1',
    415,
    'unsupported_media_type',
  ],
  ['no content type', single, bearer(keys.writer), body(valid), 415, 'unsupported_media_type'],
  ['no Authorization', single, json, body(valid), 401, 'unauthorized'],
  [
    'a wrong key',
    single,
    { ...json, authorization: 'Bearer not-a-key-of-ours-at-all' },
    body(valid),
    401,
    'unauthorized',
  ],
  [
    'a Basic credential',
    single,
    { ...json, authorization: `Basic ${keys.writer.key}` },
    body(valid),
    401,
    'unauthorized',
  ],
  [
    'a key without the viewers:write scope',
    single,
    { ...json, ...bearer(keys.counters) },
    body(valid),
    403,
    'forbidden',
  ],
  ['a batch without items', batch, withKey, body({}), 400, 'invalid_request'],
  ['a batch with no item', batch, withKey, body({ items: [] }), 400, 'invalid_request'],
  ['a batch whose items are not a list', batch, withKey, body({ items: { streamId: 's' } }), 400, 'invalid_request'],
  [
    'a batch with an unknown field',
    batch,
    withKey,
    body({ items: [{ streamId: 's', ...valid }], dryRun: true }),
    400,
    'invalid_request',
  ],
  [
    'a batch of 1001 items',
    batch,
    withKey,
    body({ items: Array.from({ length: 1001 }, (_, i) => ({ streamId: 's', ...valid, seq: i })) }),
    400,
    'invalid_request',
  ],
  ['malformed JSON in a batch', batch, withKey, '{"items": [', 400, 'malformed_json'],
  [
    'an oversized batch',
    batch,
    withKey,
    body({ items: [{ streamId: 's', ...valid, sessionId: 'x'.repeat(1024 * 1024) }] }),
    413,
    'payload_too_large',
  ],
  ['a batch without a key', batch, json, body({ items: [{ streamId: 's', ...valid }] }), 401, 'unauthorized'],
  [
    'a batch with a key lacking the scope',
    batch,
    { ...json, ...bearer(keys.counters) },
    body({ items: [{ streamId: 's', ...valid }] }),
    403,
    'forbidden',
  ],
];

const emptyCounts = { heartbeats: 0, itemEvents: 0, walletCommands: 0, queueCommands: 0, pollDefinitions: 0 };

describe('bad input to the heartbeat routes', () => {
  it('a valid heartbeat is written (so nothing written below proves refusal, not a broken pipe)', async () => {
    const answer = await call('POST', single, { headers: withKey, body: body(valid) });
    expect(answer).toMatchObject({ status: 202, body: { id: 'player-1:1' } });
    expect(topics.heartbeats.records).toHaveLength(1);
  });

  it.each(cases)(
    '%s: %s answers exactly the expected 4xx in the error shape, and writes nothing',
    async (_what, path, headers, raw, status, error) => {
      const before = recordCounts(topics);
      const answer = await call('POST', path, { headers, ...(raw === undefined ? {} : { body: raw }) });
      expectProblem(answer, status, error);
      if (error === 'invalid_request' && path === single)
        expect((answer.body.details as unknown[]).length).toBeGreaterThan(0);
      expect(recordCounts(topics)).toEqual(before);
    },
  );

  it('wrote nothing for any of them: only the one valid record, on the heartbeats topic alone', () => {
    expect(topics.heartbeats.records.map((r) => [r.key, r.value.source, r.value.seq])).toEqual([
      ['stream-1', 'player-1', 1],
    ]);
    expect(recordCounts(topics)).toEqual({ ...emptyCounts, heartbeats: 1 });
  });

  it('says which field is wrong and how', async () => {
    const answer = await call('POST', single, {
      headers: withKey,
      body: body({ source: 'p', seq: '5', positionMs: true, colour: 'red' }),
    });
    expect(answer.body).toEqual({
      error: 'invalid_request',
      message: 'the request is invalid: body.sessionId is required (and 3 more problems)',
      details: [
        { field: 'body.sessionId', message: 'is required' },
        { field: 'body.colour', message: 'is not a known field' },
        { field: 'body.seq', message: 'must be an integer' },
        { field: 'body.positionMs', message: 'must be an integer' },
      ],
    });
  });

  it('answers unknown routes and unreadable URLs in the same shape', async () => {
    const missing = await call('GET', '/v1/nothing-here');
    expect(missing).toMatchObject({ status: 404, body: { error: 'not_found', details: [] } });
    const unreadable = await call('GET', '/v1/streams/%E0%A4%A/viewers');
    expect(unreadable).toMatchObject({ status: 400, body: { error: 'invalid_request', details: [] } });
  });
});
