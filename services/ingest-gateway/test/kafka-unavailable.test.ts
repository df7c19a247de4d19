import { describe, expect, it } from 'vitest';
import { bearer, call, gatewayForThisFile, json, keys } from './fixtures/gateway.js';

// nothing listens on port 1: every connection attempt to "Kafka" is refused
const world = gatewayForThisFile('no-kafka', { KAFKA_BROKERS: '127.0.0.1:1', WRITE_DEADLINE_MS: '500' });

const headers = { ...json, ...bearer(keys.writer) };

/** Each write (a POST unless it names its method), sent with `key`, is answered 503 with Retry-After by the write deadline: never 202. */
async function expectEachUnavailable(
  key: { key: string },
  writes: [path: string, body: unknown, method?: string][],
): Promise<void> {
  for (const [path, body, method = 'POST'] of writes) {
    const started = Date.now();
    const answer = await call(world().base, method, path, {
      headers: { ...json, ...bearer(key) },
      body: JSON.stringify(body),
    });
    expect(answer.status, path).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.body).toEqual({
      error: 'unavailable',
      message: 'Kafka did not acknowledge the write; retry it with the same source and seq',
      details: [],
    });
    expect(Date.now() - started).toBeLessThan(2500);
  }
}

describe('when Kafka is unavailable', () => {
  it('starts anyway, alive but not ready', async () => {
    expect((await call(world().base, 'GET', '/healthz')).status).toBe(200);
    const ready = await call(world().base, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      status: 'not_ready',
      checks: [
        { name: 'kafka', ok: false },
        { name: 'schema-registry', ok: true },
      ],
    });
  });

  it('answers every write 503 with Retry-After by the write deadline, never 202', async () => {
    await expectEachUnavailable(
      keys.writer,
      [0, 1, 2].map((seq) => ['/v1/streams/s/heartbeats', { source: 'p', seq, sessionId: 's', positionMs: 0 }]),
    );
    const batch = await call(world().base, 'POST', '/v1/heartbeats/batch', {
      headers,
      body: JSON.stringify({
        items: [
          { streamId: 's', source: 'p', seq: 9, sessionId: 's', positionMs: 0 },
          { streamId: 's', seq: 10 },
        ],
      }),
    });
    expect(batch.status).toBe(503);
    expect(batch.headers.get('retry-after')).toBe('1');
    expect(batch.body.error).toBe('unavailable');
    expect(await world().count()).toBe(0);
  });

  it('answers likes, views and counter increments 503 with Retry-After too, never 202', async () => {
    await expectEachUnavailable(keys.counters, [
      ['/v1/items/i/likes', { source: 'p', seq: 20, userId: 'u', liked: true }],
      ['/v1/items/i/views', { source: 'p', seq: 21 }],
      ['/v1/items/i/counters/bookings', { source: 'p', seq: 22, by: 2 }],
    ]);
    expect(await world().itemEvents.count()).toBe(0);
  });

  it('answers wallet transactions and grants 503 with Retry-After too, never 202, also while waiting for an outcome', async () => {
    const transaction = { source: 'p', seq: 30, type: 'credit', asset: 'KRW', amount: '1.00' };
    await expectEachUnavailable(keys.wallets, [
      ['/v1/wallets/u/transactions', transaction],
      ['/v1/wallets/u/transactions?wait=true', { ...transaction, seq: 31 }],
      ['/v1/wallets/grants', { source: 'p', seq: 32, asset: 'KRW', amount: '1.00', userIds: ['u', 'v', 'w'] }],
    ]);
    expect(await world().walletCommands.count()).toBe(0);
  });

  it('answers queue configure, join, leave and complete 503 with Retry-After too, never 202', async () => {
    const ticket = '/v1/queues/q/tickets/t_1a3c605670798c9fd1e1e886';
    await expectEachUnavailable(keys.queueAdmin, [['/v1/queues/q', { capacity: 100, activeSeconds: 180 }, 'PUT']]);
    await expectEachUnavailable(keys.queues, [
      ['/v1/queues/q/tickets', { source: 'p', seq: 40, userId: 'u' }],
      [ticket, {}, 'DELETE'],
      [`${ticket}/complete`, {}],
    ]);
    expect(await world().queueCommands.count()).toBe(0);
  });

  it('answers poll definitions and votes 503 with Retry-After too, never 202', async () => {
    await expectEachUnavailable(keys.pollAdmin, [
      ['/v1/polls/p', { options: ['a', 'b'], regions: { kr: { weight: 1 } } }, 'PUT'],
    ]);
    await expectEachUnavailable(keys.polls, [
      ['/v1/polls/p/votes', { source: 'p', seq: 50, region: 'kr', userId: 'u', optionId: 'a' }],
    ]);
    expect(await world().pollDefinitions.count()).toBe(0);
    expect(await world().ballots.kr.count()).toBe(0);
  });

  it('still refuses bad input with 400, not 503', async () => {
    const answer = await call(world().base, 'POST', '/v1/streams/s/heartbeats', {
      headers,
      body: JSON.stringify({ source: 'p' }),
    });
    expect(answer.status).toBe(400);
    const item = await call(world().base, 'POST', '/v1/items/i/counters/bookings', {
      headers: { ...json, ...bearer(keys.counters) },
      body: JSON.stringify({ source: 'p', seq: 1, by: 0 }),
    });
    expect(item.status).toBe(400);
    const wallet = await call(world().base, 'POST', '/v1/wallets/u/transactions', {
      headers: { ...json, ...bearer(keys.wallets) },
      body: JSON.stringify({ source: 'p', seq: 1, type: 'credit', asset: 'KRW', amount: '1e3' }),
    });
    expect(wallet.status).toBe(400);
    const queue = await call(world().base, 'PUT', '/v1/queues/q', {
      headers: { ...json, ...bearer(keys.queueAdmin) },
      body: JSON.stringify({ capacity: 0, activeSeconds: 180 }),
    });
    expect(queue.status).toBe(400);
  });
});
