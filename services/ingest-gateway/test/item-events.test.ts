import { describe, expect, it } from 'vitest';
import { formatWriteKey } from '@tally/contracts';
import { bearer, call, gatewayForThisFile, json, keys } from './fixtures/gateway.js';

const receivedAt = 1_750_000_000_000;
// a pinned clock, so receivedAtMs (and atMs when no `at` is sent, or a future one) can be checked exactly
const world = gatewayForThisFile('item-events', {}, () => receivedAt);

const post = (path: string, body: unknown) =>
  call(world().base, 'POST', path, { headers: { ...json, ...bearer(keys.counters) }, body: JSON.stringify(body) });
const none = { userId: null, sessionId: null, counter: null, by: 1 };

describe('writing likes, views and counter increments', () => {
  it('answers 202 with the write id once Kafka holds the ItemEvent, keyed by item, every field as sent', async () => {
    const writes: [string, unknown, string][] = [
      [
        '/v1/items/post-1/likes',
        { source: 'app:eu', seq: 1, userId: 'user@example', liked: true, at: receivedAt - 900 },
        'app:eu:1',
      ],
      ['/v1/items/post-1/likes', { source: 'app:eu', seq: 2, userId: 'user@example', liked: false }, 'app:eu:2'],
      [
        '/v1/items/post.2/views',
        { source: 'web-1', seq: 0, userId: 'u2', sessionId: 'sess-2', at: receivedAt - 5 },
        'web-1:0',
      ],
      ['/v1/items/post.2/views', { source: 'web-1', seq: 1 }, 'web-1:1'],
      ['/v1/items/room:3/counters/bookings', { source: 'booking-svc', seq: 10 }, 'booking-svc:10'],
      [
        '/v1/items/room:3/counters/nights_booked',
        { source: 'booking-svc', seq: 11, by: 1_000_000, at: 0 },
        'booking-svc:11',
      ],
    ];
    for (const [path, body, id] of writes)
      expect(await post(path, body), path).toMatchObject({ status: 202, body: { id } });

    // acknowledged means already on the topic: read right away, no waiting for it to appear
    expect(await world().itemEvents.count()).toBe(writes.length);
    const bySourceSeq = new Map((await world().itemEvents.records()).map((r) => [formatWriteKey(r.value), r]));
    expect(bySourceSeq.get('app:eu:1')).toEqual({
      key: 'post-1',
      value: {
        source: 'app:eu',
        seq: 1,
        itemId: 'post-1',
        kind: 'LIKE',
        ...none,
        userId: 'user@example',
        atMs: receivedAt - 900,
        receivedAtMs: receivedAt,
      },
    });
    expect(bySourceSeq.get('app:eu:2')).toEqual({
      key: 'post-1',
      value: {
        source: 'app:eu',
        seq: 2,
        itemId: 'post-1',
        kind: 'UNLIKE',
        ...none,
        userId: 'user@example',
        atMs: receivedAt,
        receivedAtMs: receivedAt,
      },
    });
    expect(bySourceSeq.get('web-1:0')).toEqual({
      key: 'post.2',
      value: {
        source: 'web-1',
        seq: 0,
        itemId: 'post.2',
        kind: 'VIEW',
        ...none,
        userId: 'u2',
        sessionId: 'sess-2',
        atMs: receivedAt - 5,
        receivedAtMs: receivedAt,
      },
    });
    expect(bySourceSeq.get('web-1:1')).toEqual({
      key: 'post.2',
      value: {
        source: 'web-1',
        seq: 1,
        itemId: 'post.2',
        kind: 'VIEW',
        ...none,
        atMs: receivedAt,
        receivedAtMs: receivedAt,
      },
    });
    expect(bySourceSeq.get('booking-svc:10')).toEqual({
      key: 'room:3',
      value: {
        source: 'booking-svc',
        seq: 10,
        itemId: 'room:3',
        kind: 'INCREMENT',
        ...none,
        counter: 'bookings',
        atMs: receivedAt,
        receivedAtMs: receivedAt,
      },
    });
    expect(bySourceSeq.get('booking-svc:11')).toEqual({
      key: 'room:3',
      value: {
        source: 'booking-svc',
        seq: 11,
        itemId: 'room:3',
        kind: 'INCREMENT',
        ...none,
        counter: 'nights_booked',
        by: 1_000_000,
        atMs: 0,
        receivedAtMs: receivedAt,
      },
    });
  });

  it('clamps a client time ahead of the receipt time to the receipt time', async () => {
    expect(await post('/v1/items/late/views', { source: 'skewed', seq: 1, at: receivedAt + 3_600_000 })).toMatchObject({
      status: 202,
    });
    const records = (await world().itemEvents.records()).filter((r) => r.value.source === 'skewed');
    expect(records.map((r) => [r.value.atMs, r.value.receivedAtMs])).toEqual([[receivedAt, receivedAt]]);
  });

  it('takes an itemId of the full 128 characters (longer than the router allows by default)', async () => {
    const itemId = `${'i'.repeat(127)}9`;
    expect(await post(`/v1/items/${itemId}/counters/shares`, { source: 'long', seq: 1 })).toMatchObject({
      status: 202,
      body: { id: 'long:1' },
    });
    const records = (await world().itemEvents.records()).filter((r) => r.value.source === 'long');
    expect(records.map((r) => [r.key, r.value.itemId])).toEqual([[itemId, itemId]]);
  });

  it('writes nothing to the heartbeats topic', async () => {
    expect(await world().count()).toBe(0);
  });
});
