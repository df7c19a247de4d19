import type { FastifyPluginAsync } from 'fastify';
import {
  countsAnswer,
  countsQuery,
  itemParams,
  rankingAnswer,
  rankingParams,
  rankingQuery,
} from './counter-schemas.js';
import { PUBLIC, ownConnections, routeRead, type PublicReadOptions } from './read-routing.js';
import { readErrors } from './schemas.js';

/** Reads of counters and rankings, owned by the counter-materializer: validated here, answered there. No key needed. */
export const counterReadRoutes: FastifyPluginAsync<PublicReadOptions> = async (app, options) => {
  const owner = ownConnections(app, options.owner);
  app.get<{ Params: { itemId: string } }>(
    '/v1/items/:itemId/counts',
    {
      schema: {
        tags: ['counters'],
        summary: "An item's exact likes, views and counters, and its unique viewers",
        description:
          'Answers {itemId, likes, views, uniqueViewers, counters: {name: n}, asOf} from the counter-materializer.',
        params: itemParams,
        querystring: countsQuery,
        response: { 200: countsAnswer, ...readErrors },
      },
    },
    async (request, reply) =>
      routeRead(owner, `/v1/items/${encodeURIComponent(request.params.itemId)}/counts`, reply, PUBLIC),
  );

  app.get<{ Params: { metric: string }; Querystring: { window: string; limit: number } }>(
    '/v1/rankings/:metric',
    {
      schema: {
        tags: ['counters'],
        summary: 'The most liked, most viewed or highest counted items, over the last hour, day or all time',
        description: 'Answers [{itemId, score, rank}], best first, from the counter-materializer.',
        params: rankingParams,
        querystring: rankingQuery,
        response: { 200: rankingAnswer, ...readErrors },
      },
    },
    async (request, reply) => {
      const { window, limit } = request.query;
      const query = new URLSearchParams({ window, limit: String(limit) });
      return routeRead(owner, `/v1/rankings/${encodeURIComponent(request.params.metric)}?${query}`, reply, PUBLIC);
    },
  );
};
