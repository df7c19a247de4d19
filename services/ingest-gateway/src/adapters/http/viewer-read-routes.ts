import type { FastifyPluginAsync } from 'fastify';
import { historyQuery, readErrors, streamParams, viewerHistoryAnswer, viewersAnswer } from './schemas.js';
import { PUBLIC, ownConnections, routeRead, type PublicReadOptions } from './read-routing.js';

/** Reads of live viewers, owned by the viewer-aggregator: validated here, answered there. No key needed. */
export const viewerReadRoutes: FastifyPluginAsync<PublicReadOptions> = async (app, options) => {
  const owner = ownConnections(app, options.owner);
  app.get<{ Params: { streamId: string } }>(
    '/v1/streams/:streamId/viewers',
    {
      schema: {
        tags: ['viewers'],
        summary: 'Current viewers: sessions whose newest heartbeat is within windowSeconds of now',
        description: 'Answers {streamId, concurrent, windowSeconds, asOf} from the viewer-aggregator.',
        params: streamParams,
        response: { 200: viewersAnswer, ...readErrors },
      },
    },
    async (request, reply) =>
      routeRead(owner, `/v1/streams/${encodeURIComponent(request.params.streamId)}/viewers`, reply, PUBLIC),
  );

  app.get<{ Params: { streamId: string }; Querystring: { from: number; to: number; granularity: string } }>(
    '/v1/streams/:streamId/viewers/history',
    {
      schema: {
        tags: ['viewers'],
        summary: 'Viewer history in minute, hour or day buckets: peakConcurrent, uniqueViewers, heartbeats',
        description:
          'Answers {streamId, granularity, from, to, buckets: [{start, peakConcurrent, uniqueViewers, heartbeats}]} from the viewer-aggregator.',
        params: streamParams,
        querystring: historyQuery,
        response: { 200: viewerHistoryAnswer, ...readErrors },
      },
    },
    async (request, reply) => {
      const { from, to, granularity } = request.query;
      const query = new URLSearchParams({ from: String(from), to: String(to), granularity });
      return routeRead(
        owner,
        `/v1/streams/${encodeURIComponent(request.params.streamId)}/viewers/history?${query}`,
        reply,
        PUBLIC,
      );
    },
  );
};
