import { describe, expect, it } from 'vitest';
import { listedProblem } from '@tally/contracts';
import { createLogger, opsApp } from '@tally/observability';
import { counterRoutes, type ReadDeps } from './http.js';
import type { PostgresReads } from './postgres-reads.js';
import type { CountsProjection } from './redis-projection.js';

const counts = { likes: 2, views: 5, uniqueViewers: 3, counters: {} };

/** The routes on a server that never listens (answered through inject), with stores that answer from memory. */
async function counterApp(failing = false) {
  const fail = () => Promise.reject(new Error('redis is down'));
  const projection = {
    counts: failing ? fail : async (itemId: string) => (itemId === 'known' ? { ...counts, asOf: 1 } : undefined),
    partitionsNotReady: async () => [],
    ranking: async () => [{ itemId: 'known', score: 2, rank: 1 }],
  } as unknown as CountsProjection;
  const fallback = {
    counts: async () => ({ ...counts, likes: 0 }),
    ranking: async () => [],
  } as unknown as PostgresReads;
  const deps: ReadDeps = { projection, fallback, partitions: [0], now: () => 42 };
  const app = opsApp(createLogger('test', 'silent'));
  counterRoutes(deps)(app);
  await app.ready();
  return app;
}

describe("counter-materializer's reads", () => {
  it('answer counts and rankings', async () => {
    // the gateway documents these answers (ingest-gateway: read-answers.test.ts): change both together
    const app = await counterApp();
    expect((await app.inject('/v1/items/known/counts')).json()).toEqual({ itemId: 'known', ...counts, asOf: 1 });
    expect((await app.inject('/v1/rankings/likes?window=24h&limit=5')).json()).toEqual([
      { itemId: 'known', score: 2, rank: 1 },
    ]);
  });

  it('refuse bad parameters with invalid_request, naming each field', async () => {
    const app = await counterApp();
    for (const [path, field] of [
      ['/v1/rankings/likes?window=7d', 'querystring.window'],
      ['/v1/rankings/likes?limit=0', 'querystring.limit'],
      ['/v1/rankings/likes?limit=101', 'querystring.limit'],
      ['/v1/rankings/Likes', 'params.metric'],
      ['/v1/rankings/likes?extra=1', 'querystring.extra'],
      ['/v1/items/a%20b/counts', 'params.itemId'],
      [`/v1/items/${'a'.repeat(129)}/counts`, 'params.itemId'],
      ['/v1/items/%E0%A4%A/counts', undefined],
    ] as const) {
      const body = listedProblem(await app.inject(path));
      expect(body.error, path).toBe('invalid_request');
      expect(body.details, path).toEqual(field ? [{ field, message: expect.any(String) }] : []);
    }
  });

  it('answer unavailable when the store cannot be read', async () => {
    const app = await counterApp(true);
    expect(listedProblem(await app.inject('/v1/items/known/counts')).error).toBe('unavailable');
  });
});
