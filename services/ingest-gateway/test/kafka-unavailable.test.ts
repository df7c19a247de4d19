import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer, call, json, keys, startTestGateway, type TestGateway } from './fixtures/gateway.js';

const stack = inject('stack');
let world: TestGateway;

// nothing listens on port 1: every connection attempt to "Kafka" is refused
beforeAll(async () => {
  world = await startTestGateway(stack, 'no-kafka', { KAFKA_BROKERS: '127.0.0.1:1', KAFKA_ACK_TIMEOUT_MS: '500' });
});

afterAll(async () => {
  await world?.close();
});

const headers = { ...json, ...bearer(keys.writer) };

describe('when Kafka is unavailable', () => {
  it('starts anyway, alive but not ready', async () => {
    expect((await call(world.base, 'GET', '/healthz')).status).toBe(200);
    const ready = await call(world.base, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'not_ready', checks: [{ name: 'kafka', ok: false }, { name: 'schema-registry', ok: true }] });
  });

  it('answers every write 503 with Retry-After within the ack timeout, never 202', async () => {
    for (let seq = 0; seq < 3; seq++) {
      const started = Date.now();
      const answer = await call(world.base, 'POST', '/v1/streams/s/heartbeats', { headers, body: JSON.stringify({ source: 'p', seq, sessionId: 's', positionMs: 0 }) });
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('1');
      expect(answer.body).toEqual({ error: 'unavailable', message: 'Kafka did not acknowledge the write; retry it with the same source and seq', details: [] });
      expect(Date.now() - started).toBeLessThan(2500);
    }
    const batch = await call(world.base, 'POST', '/v1/heartbeats/batch', {
      headers,
      body: JSON.stringify({ items: [{ streamId: 's', source: 'p', seq: 9, sessionId: 's', positionMs: 0 }, { streamId: 's', seq: 10 }] }),
    });
    expect(batch.status).toBe(503);
    expect(batch.headers.get('retry-after')).toBe('1');
    expect(batch.body.error).toBe('unavailable');
    expect(await world.count()).toBe(0);
  });

  it('still refuses bad input with 400, not 503', async () => {
    const answer = await call(world.base, 'POST', '/v1/streams/s/heartbeats', { headers, body: JSON.stringify({ source: 'p' }) });
    expect(answer.status).toBe(400);
  });
});
