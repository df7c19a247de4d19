import type { FastifyInstance } from 'fastify';
import { epochMsParam, idParam } from '@tally/contracts';
import { answerReadErrors, sendProblem } from '@tally/observability';
import { validateHistoryQuery, type Granularity } from '../domain/history.js';
import type { HistoryStore } from './postgres-history.js';
import type { ViewerStore } from './redis-viewers.js';

const streamParams = {
  type: 'object',
  required: ['streamId'],
  properties: { streamId: idParam() },
} as const;

const historyQuery = {
  type: 'object',
  required: ['from', 'to'],
  additionalProperties: false,
  properties: {
    from: epochMsParam(),
    to: epochMsParam(),
    granularity: { type: 'string', enum: ['minute', 'hour', 'day'], default: 'minute' },
  },
} as const;

/** The reads this service owns; the gateway routes clients here under the same paths. */
export function viewerRoutes(deps: {
  viewers: ViewerStore;
  history: HistoryStore;
  windowSeconds: number;
  now: () => number;
}) {
  return (app: FastifyInstance) => {
    answerReadErrors(app, 'the viewer state cannot be read right now');

    app.get<{ Params: { streamId: string } }>(
      '/v1/streams/:streamId/viewers',
      { schema: { params: streamParams } },
      async (request) => {
        const asOf = deps.now();
        const concurrent = await deps.viewers.currentViewers(request.params.streamId, asOf);
        return { streamId: request.params.streamId, concurrent, windowSeconds: deps.windowSeconds, asOf };
      },
    );

    app.get<{ Params: { streamId: string }; Querystring: { from: number; to: number; granularity: Granularity } }>(
      '/v1/streams/:streamId/viewers/history',
      { schema: { params: streamParams, querystring: historyQuery } },
      async (request, reply) => {
        const { from, to, granularity } = request.query;
        const problem = validateHistoryQuery({ fromMs: from, toMs: to, granularity });
        if (problem) return sendProblem(reply, 'invalid_range', problem);
        const buckets = await deps.history.history(request.params.streamId, from, to, granularity);
        return { streamId: request.params.streamId, granularity, from, to, buckets };
      },
    );
  };
}
