import type { FastifyInstance } from 'fastify';
import { METRIC_NAME_PATTERN, idParam, listLimit } from '@tally/contracts';
import { answerReadErrors } from '@tally/observability';
import type { Metric } from '../domain/counters.js';
import type { RankingWindow } from '../domain/windows.js';
import type { PostgresReads } from './postgres-reads.js';
import type { CountsProjection } from './redis-projection.js';

const itemParams = {
  type: 'object',
  required: ['itemId'],
  properties: { itemId: idParam() },
} as const;

const rankingParams = {
  type: 'object',
  required: ['metric'],
  // likes, views or a counter's own name
  properties: { metric: { type: 'string', pattern: METRIC_NAME_PATTERN.source } },
} as const;

const rankingQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    window: { type: 'string', enum: ['1h', '24h', 'all'], default: 'all' },
    limit: listLimit(10),
  },
} as const;

export interface ReadDeps {
  projection: CountsProjection;
  fallback: PostgresReads;
  /** Every partition of the events topic: a ranking is whole in Redis only when all of them are projected. */
  partitions: number[];
  now: () => number;
}

const metricOf = (name: string): Metric => (name === 'likes' || name === 'views' ? name : `counter:${name}`);

/** The reads this service owns; the gateway routes clients here under the same paths. */
export function counterRoutes(deps: ReadDeps) {
  return (app: FastifyInstance) => {
    answerReadErrors(app, 'the counts cannot be read right now');

    app.get<{ Params: { itemId: string } }>(
      '/v1/items/:itemId/counts',
      { schema: { params: itemParams } },
      async (request) => {
        const { itemId } = request.params;
        const projected = await deps.projection.counts(itemId);
        if (projected) {
          const { asOf, ...counts } = projected;
          return { itemId, ...counts, asOf };
        }
        // not in Redis: never seen, or Redis lost it and the owner has not rebuilt it yet; Postgres knows
        return { itemId, ...(await deps.fallback.counts(itemId)), asOf: deps.now() };
      },
    );

    app.get<{ Params: { metric: string }; Querystring: { window: RankingWindow; limit: number } }>(
      '/v1/rankings/:metric',
      { schema: { params: rankingParams, querystring: rankingQuery } },
      async (request) => {
        const metric = metricOf(request.params.metric);
        const { window, limit } = request.query;
        const whole = (await deps.projection.partitionsNotReady(deps.partitions)).length === 0;
        return whole
          ? deps.projection.ranking(metric, window, limit)
          : deps.fallback.ranking(metric, window, limit, deps.now());
      },
    );
  };
}
