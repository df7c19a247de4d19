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
});
