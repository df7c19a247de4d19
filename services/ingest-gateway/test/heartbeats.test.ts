import { describe, expect, it } from 'vitest';
import { bearer, call, gatewayForThisFile, json, keys } from './fixtures/gateway.js';

const receivedAt = 1_750_000_000_000;
// a pinned clock, so receivedAtMs (and atMs when no `at` is sent) can be checked exactly
const world = gatewayForThisFile('heartbeats', {}, () => receivedAt);

const post = (path: string, body: unknown) =>
  call(world().base, 'POST', path, { headers: { ...json, ...bearer(keys.writer) }, body: JSON.stringify(body) });

describe('writing heartbeats', () => {
  it('answers 202 with the write id once Kafka holds the record, keyed by stream, every field as sent', async () => {
    const first = await post('/v1/streams/stream-a/heartbeats', {
      source: 'player-1',
      seq: 7,
      sessionId: 'sess-1',
      userId: 'user@example',
      positionMs: 65_000,
      at: receivedAt - 900,
      state: 'playing',
    });
    expect(first).toMatchObject({ status: 202, body: { id: 'player-1:7' } });
    const second = await post('/v1/streams/stream.b:2/heartbeats', {
      source: 'web:eu:1',
      seq: 0,
      sessionId: 'sess-2',
      positionMs: 0,
      state: 'ended',
    });
    expect(second).toMatchObject({ status: 202, body: { id: 'web:eu:1:0' } });

    // acknowledged means already on the topic: read right away, no waiting for it to appear
    expect(await world().count()).toBe(2);
    const records = await world().records();
    const bySeq = new Map(records.map((r) => [r.value.seq, r]));
    expect(bySeq.get(7)).toEqual({
      key: 'stream-a',
      value: {
        source: 'player-1',
        seq: 7,
        streamId: 'stream-a',
        sessionId: 'sess-1',
        userId: 'user@example',
        positionMs: 65_000,
        state: 'PLAYING',
        atMs: receivedAt - 900,
        receivedAtMs: receivedAt,
      },
    });
    expect(bySeq.get(0)).toEqual({
      key: 'stream.b:2',
      value: {
        source: 'web:eu:1',
        seq: 0,
        streamId: 'stream.b:2',
        sessionId: 'sess-2',
        userId: null,
        positionMs: 0,
        state: 'ENDED',
        atMs: receivedAt,
        receivedAtMs: receivedAt,
      },
    });
  });

  it('takes a streamId of the full 128 characters (longer than the router allows by default)', async () => {
    const streamId = `${'s'.repeat(127)}9`;
    expect(
      await post(`/v1/streams/${streamId}/heartbeats`, { source: 'long', seq: 1, sessionId: 's', positionMs: 0 }),
    ).toMatchObject({ status: 202, body: { id: 'long:1' } });
    const records = (await world().records()).filter((r) => r.value.source === 'long');
    expect(records.map((r) => [r.key, r.value.streamId])).toEqual([[streamId, streamId]]);
  });

  it('takes the largest seq Avro carries (2^53 - 2), and the record holds it exactly', async () => {
    expect(
      await post('/v1/streams/stream-a/heartbeats', {
        source: 'largest',
        seq: 2 ** 53 - 2,
        sessionId: 's',
        positionMs: 0,
      }),
    ).toMatchObject({ status: 202, body: { id: 'largest:9007199254740990' } });
    const records = (await world().records()).filter((r) => r.value.source === 'largest');
    expect(records.map((r) => r.value.seq)).toEqual([2 ** 53 - 2]);
  });

  it('takes an `at` from a clock never set (1970) and one just before 2100, keeping them as sent for the services to judge', async () => {
    for (const [seq, at] of [
      [1, 0],
      [2, Date.UTC(2100, 0, 1) - 1],
    ] as const) {
      expect(
        await post('/v1/streams/stream-a/heartbeats', { source: 'odd-clock', seq, sessionId: 's', positionMs: 0, at }),
      ).toMatchObject({ status: 202 });
    }
    const records = (await world().records()).filter((r) => r.value.source === 'odd-clock');
    expect(records.map((r) => r.value.atMs)).toEqual([0, Date.UTC(2100, 0, 1) - 1]);
  });

  it('takes a batch: valid items are produced and answered 202, invalid ones are refused alone and never produced', async () => {
    const before = await world().count();
    const items = [
      { streamId: 'stream-c', source: 'batcher', seq: 100, sessionId: 's1', positionMs: 1000 },
      { streamId: 'stream-c', source: 'batcher', seq: '101', sessionId: 's2', positionMs: 1000 },
      {
        streamId: 'stream-d',
        source: 'batcher',
        seq: 102,
        sessionId: 's3',
        positionMs: 2000,
        state: 'ended',
        userId: 'u3',
        at: receivedAt - 5,
      },
      { source: 'batcher', seq: 103, sessionId: 's4', positionMs: 0 },
      { streamId: 'stream-c', source: 'batcher', seq: 104, sessionId: 's5', positionMs: 0, volume: 11 },
      42,
      { streamId: 'stream-d', source: 'batcher', seq: 105, sessionId: 's6', positionMs: 3000 },
    ];
    const answer = await post('/v1/heartbeats/batch', { items });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(3);
    expect(answer.body.rejected).toBe(4);
    const results = answer.body.results as {
      index: number;
      status: number;
      id?: string;
      error?: string;
      message?: string;
      details?: { field: string }[];
    }[];
    expect(results.map((r) => [r.index, r.status, r.id ?? r.error])).toEqual([
      [0, 202, 'batcher:100'],
      [1, 400, 'invalid_request'],
      [2, 202, 'batcher:102'],
      [3, 400, 'invalid_request'],
      [4, 400, 'invalid_request'],
      [5, 400, 'invalid_request'],
      [6, 202, 'batcher:105'],
    ]);
    expect(results[1]!.details).toEqual([{ field: 'items.1.seq', message: 'must be an integer' }]);
    expect(results[3]!.details).toEqual([{ field: 'items.3.streamId', message: 'is required' }]);
    expect(results[4]!.details).toEqual([{ field: 'items.4.volume', message: 'is not a known field' }]);
    expect(results[5]!.message).toBe('the request is invalid: items.5 must be an object');

    expect(await world().count()).toBe(before + 3);
    const batch = (await world().records()).filter((r) => r.value.source === 'batcher');
    expect(batch.map((r) => r.value.seq).sort()).toEqual([100, 102, 105]);
    const item102 = batch.find((r) => r.value.seq === 102)!;
    expect(item102).toEqual({
      key: 'stream-d',
      value: {
        source: 'batcher',
        seq: 102,
        streamId: 'stream-d',
        sessionId: 's3',
        userId: 'u3',
        positionMs: 2000,
        state: 'ENDED',
        atMs: receivedAt - 5,
        receivedAtMs: receivedAt,
      },
    });
  });

  it('answers a batch of only invalid items without producing anything', async () => {
    const before = await world().count();
    const answer = await post('/v1/heartbeats/batch', { items: [{ streamId: 'x' }] });
    expect(answer).toMatchObject({ status: 200, body: { accepted: 0, rejected: 1 } });
    expect(await world().count()).toBe(before);
  });
});
