import { afterAll, describe, expect, inject, it } from 'vitest';
import { Counter } from 'prom-client';
import { createRedis } from '@tally/storage';
import { createLogger, createMetrics, startOpsServer, type OpsServer } from '../src/index.js';
// the type of inject('stack'), declared by the testkit that provides it
import type {} from '@tally/testkit';

const stack = inject('stack');
const redis = createRedis(stack.redisUrl);
let server: OpsServer | undefined;

afterAll(async () => {
  await server?.close();
  redis.disconnect();
});

describe('the ops server every service runs', () => {
  it('answers /healthz, /readyz with each dependency, and /metrics in the Prometheus format', async () => {
    const metrics = createMetrics('ops-test');
    new Counter({ name: 'tally_test_things_total', help: 'things', registers: [metrics] }).inc(3);
    let brokerUp = true;
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      metrics,
      logger: createLogger('ops-test', 'silent'),
      readiness: [
        { name: 'redis', check: async () => void (await redis.ping()) },
        {
          name: 'kafka',
          check: async () => {
            if (!brokerUp) throw new Error('no broker answers');
          },
        },
      ],
    });
    const base = `http://127.0.0.1:${server.port}`;

    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'redis', ok: true },
        { name: 'kafka', ok: true },
      ],
    });

    brokerUp = false;
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({
      status: 'not_ready',
      checks: [{ ok: true }, { name: 'kafka', ok: false, error: 'no broker answers' }],
    });

    const scraped = await fetch(`${base}/metrics`);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    const text = await scraped.text();
    expect(text).toContain('tally_test_things_total{service="ops-test"} 3');
    expect(text).toContain('tally_process_cpu_user_seconds_total');
  });
});
