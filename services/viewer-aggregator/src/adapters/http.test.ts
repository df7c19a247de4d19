import { describe, expect, it } from 'vitest';
import { listedProblem } from '@tally/contracts';
import { createLogger, opsApp } from '@tally/observability';
import { viewerRoutes } from './http.js';
import type { HistoryBucket, HistoryStore } from './postgres-history.js';
import type { ViewerStore } from './redis-viewers.js';

/** The routes on a server that never listens (answered through inject), with stores that answer from memory. */
async function viewerApp(failing = false, buckets: HistoryBucket[] = []) {
  const viewers = {
    currentViewers: failing ? () => Promise.reject(new Error('redis is down')) : async () => 3,
  } as unknown as ViewerStore;
  const history = { history: async () => buckets } as unknown as HistoryStore;
  const app = opsApp(createLogger('test', 'silent'));
  viewerRoutes({ viewers, history, windowSeconds: 30, now: () => 42 })(app);
  await app.ready();
  return app;
}

describe("viewer-aggregator's reads", () => {
  it('answer the concurrent viewers and a history', async () => {
    // the gateway documents these answers (ingest-gateway: read-answers.test.ts): change both together
    const app = await viewerApp();
    expect((await app.inject('/v1/streams/s/viewers')).json()).toEqual({
      streamId: 's',
      concurrent: 3,
      windowSeconds: 30,
      asOf: 42,
    });
    expect((await app.inject('/v1/streams/s/viewers/history?from=0&to=60000')).json()).toEqual({
      streamId: 's',
      granularity: 'minute',
      from: 0,
      to: 60_000,
      buckets: [],
    });
  });

  it('answer a history as its buckets, with the range and granularity asked', async () => {
    // the gateway documents these answers (ingest-gateway: read-answers.test.ts): change both together
    const buckets = [
      { start: '1970-01-01T00:00:00.000Z', peakConcurrent: 3, uniqueViewers: 4, heartbeats: 1440 },
      { start: '1970-01-01T01:00:00.000Z', peakConcurrent: 1, uniqueViewers: 1, heartbeats: 12 },
    ];
    const app = await viewerApp(false, buckets);
    expect((await app.inject('/v1/streams/s/viewers/history?from=0&to=7200000&granularity=hour')).json()).toEqual({
      streamId: 's',
      granularity: 'hour',
      from: 0,
      to: 7_200_000,
      buckets,
    });
  });

  it('refuse bad parameters with invalid_request, naming each field', async () => {
    const app = await viewerApp();
    for (const [path, field] of [
      ['/v1/streams/a%20b/viewers', 'params.streamId'],
      [`/v1/streams/${'a'.repeat(129)}/viewers`, 'params.streamId'],
      ['/v1/streams/s/viewers/history?from=0', 'querystring.to'],
      ['/v1/streams/s/viewers/history?from=0&to=8640000000001', 'querystring.to'],
      ['/v1/streams/s/viewers/history?from=0&to=1&granularity=week', 'querystring.granularity'],
    ] as const) {
      const body = listedProblem(await app.inject(path));
      expect(body.error, path).toBe('invalid_request');
      expect(body.details, path).toEqual([{ field, message: expect.any(String) }]);
    }
  });

  it('answer invalid_range for a range each of whose ends is valid but not together', async () => {
    const app = await viewerApp();
    const reversed = listedProblem(await app.inject('/v1/streams/s/viewers/history?from=60000&to=0'));
    expect(reversed).toEqual({ error: 'invalid_range', message: '`from` must be before `to`', details: [] });
    const tooLong = await app.inject('/v1/streams/s/viewers/history?from=0&to=8640000000000');
    expect(listedProblem(tooLong).error).toBe('invalid_range');
  });

  it('answer unavailable when the store cannot be read', async () => {
    const app = await viewerApp(true);
    expect(listedProblem(await app.inject('/v1/streams/s/viewers')).error).toBe('unavailable');
  });
});
