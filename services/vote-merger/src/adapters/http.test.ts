import { describe, expect, it } from 'vitest';
import { listedProblem } from '@tally/contracts';
import { createLogger, opsApp } from '@tally/observability';
import type { GlobalResult } from '@tally/schemas';
import { resultRoutes } from './http.js';

/** The route on a server that never listens (answered through inject), with results from memory. */
async function resultApp(results: (pollId: string) => Promise<GlobalResult | undefined>) {
  const app = opsApp(createLogger('test', 'silent'));
  resultRoutes(results)(app);
  await app.ready();
  return app;
}

describe("vote-merger's read", () => {
  it('refuses a bad poll id with invalid_request, naming the field', async () => {
    const app = await resultApp(async () => undefined);
    for (const path of ['/v1/polls/a%20b/results', `/v1/polls/${'p'.repeat(129)}/results`]) {
      const body = listedProblem(await app.inject(path));
      expect(body.error, path).toBe('invalid_request');
      expect(body.details, path).toEqual([{ field: 'params.pollId', message: expect.any(String) }]);
    }
  });

  it('answers not_found for a poll without a result here yet, unavailable when it cannot tell', async () => {
    expect(listedProblem(await (await resultApp(async () => undefined)).inject('/v1/polls/p/results'))).toEqual({
      error: 'not_found',
      message: 'no result for poll p here yet',
      details: [],
    });
    const failing = await resultApp(() => Promise.reject(new Error('postgres is down')));
    expect(listedProblem(await failing.inject('/v1/polls/p/results')).error).toBe('unavailable');
  });

  it('answers the global result: the ranking, what each region counted, and when', async () => {
    // the gateway documents this answer (ingest-gateway: read-answers.test.ts): change both together
    const result: GlobalResult = {
      pollId: 'p',
      version: 1_700_000_000_000,
      ranking: [
        { optionId: 'a', score: 0.6, rank: 1 },
        { optionId: 'b', score: 0.4, rank: 2 },
      ],
      regions: {
        kr: { weight: 1, votes: 10, counts: { a: 6, b: 4 }, snapshotVersion: 3, snapshotAtMs: 1_699_999_999_000 },
        us: { weight: 2.5, votes: 0, counts: { a: 0, b: 0 }, snapshotVersion: 0, snapshotAtMs: null },
      },
      computedAtMs: 1_700_000_000_000,
    };
    const app = await resultApp(async (pollId) => (pollId === 'p' ? result : undefined));
    expect((await app.inject('/v1/polls/p/results')).json()).toEqual({
      pollId: 'p',
      version: 1_700_000_000_000,
      global: [
        { optionId: 'a', score: 0.6, rank: 1 },
        { optionId: 'b', score: 0.4, rank: 2 },
      ],
      regions: {
        kr: { votes: 10, counts: { a: 6, b: 4 }, weight: 1, snapshotVersion: 3, snapshotAt: 1_699_999_999_000 },
        us: { votes: 0, counts: { a: 0, b: 0 }, weight: 2.5, snapshotVersion: 0, snapshotAt: null },
      },
      asOf: 1_700_000_000_000,
    });
  });
});
