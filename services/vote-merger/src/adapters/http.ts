import type { FastifyInstance } from 'fastify';
import { idParam } from '@tally/contracts';
import { answerReadErrors, sendProblem } from '@tally/observability';
import type { GlobalResult } from '@tally/schemas';

const pollParams = {
  type: 'object',
  required: ['pollId'],
  properties: { pollId: idParam() },
} as const;

/** A global result as the public API shows it (docs/API.md: `global`, `regions`, `asOf`). */
export function resultView(result: GlobalResult) {
  return {
    pollId: result.pollId,
    version: result.version,
    global: result.ranking.map(({ optionId, score, rank }) => ({ optionId, score, rank })),
    regions: Object.fromEntries(
      Object.entries(result.regions).map(([region, r]) => [
        region,
        {
          votes: r.votes,
          counts: r.counts,
          weight: r.weight,
          snapshotVersion: r.snapshotVersion,
          snapshotAt: r.snapshotAtMs,
        },
      ]),
    ),
    asOf: result.computedAtMs,
  };
}

/**
 * GET /v1/polls/{pollId}/results: the newest global result this instance holds. A region serves the copy that
 * came back to it, so its readers never wait on the hub; the merger serves its own.
 */
export function resultRoutes(results: (pollId: string) => Promise<GlobalResult | undefined>) {
  return (app: FastifyInstance) => {
    answerReadErrors(app, 'the poll results cannot be read right now');
    app.get<{ Params: { pollId: string } }>(
      '/v1/polls/:pollId/results',
      { schema: { params: pollParams } },
      async (request, reply) => {
        const result = await results(request.params.pollId);
        if (!result) return sendProblem(reply, 'not_found', `no result for poll ${request.params.pollId} here yet`);
        return resultView(result);
      },
    );
  };
}
