import type { FastifyPluginAsync } from 'fastify';
import { pollParams, pollResultsAnswer } from './poll-schemas.js';
import { PUBLIC, ownConnections, routeRead, type PublicReadOptions } from './read-routing.js';
import { noQuery, readErrors } from './schemas.js';

/**
 * The global result of a poll, owned by the vote-merger instance serving this gateway's region: validated here,
 * answered there. No key needed: results are public.
 */
export const pollReadRoutes: FastifyPluginAsync<PublicReadOptions> = async (app, options) => {
  const owner = ownConnections(app, options.owner);
  app.get<{ Params: { pollId: string } }>(
    '/v1/polls/:pollId/results',
    {
      schema: {
        tags: ['polls'],
        summary: "A poll's global ranking, and what each region counted towards it",
        description:
          'Answers {pollId, version, global: [{optionId, score, rank}], regions: {<region>: {votes, counts, weight, snapshotVersion, snapshotAt}}, asOf} from the vote-merger; ' +
          '404 while no result exists yet. snapshotAt and asOf are epoch ms; snapshotAt is null until the region has reported. ' +
          "score is the weighted mean of the option's share of each region's votes, over regions with votes; " +
          'rank 1 is the highest score, ties ordered by optionId. version only grows, so a client can drop an answer older than one it has.',
        params: pollParams,
        querystring: noQuery,
        response: { 200: pollResultsAnswer, ...readErrors },
      },
    },
    async (request, reply) =>
      routeRead(owner, `/v1/polls/${encodeURIComponent(request.params.pollId)}/results`, reply, PUBLIC),
  );
};
