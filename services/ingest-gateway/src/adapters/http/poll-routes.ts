import type { FastifyPluginAsync } from 'fastify';
import { WRITE_BODY_LIMIT, formatWriteKey } from '@tally/contracts';
import type { Ballot, PollDefinition } from '@tally/schemas';
import { invalidFields, type ErrorDetail } from '../../domain/api-error.js';
import type { Scope } from '../../domain/api-keys.js';
import {
  ballotKey,
  pollRegionProblems,
  toBallot,
  toPollDefinition,
  voteRegionProblems,
  type BatchVoteItem,
  type PollDefinitionRequest,
  type VoteRequest,
} from '../../domain/poll.js';
import type { RecordWriter } from '../../ports/record-writer.js';
import { acknowledgedWrite, withWriteDeadline } from './acknowledged-write.js';
import { requireScope } from './auth.js';
import { batchRoute, type BatchDeps } from './batch-route.js';
import { gatewayWriteKey } from './gateway-write-key.js';
import { pollDefinitionWrite, pollParams, voteBatchItem, voteWrite, type PollWriteSchema } from './poll-schemas.js';
import { HttpProblem } from './problems.js';
import { acceptedResponse, noQuery, writeErrors, writeSecurity } from './schemas.js';

export interface PollRouteOptions extends BatchDeps {
  pollDefinitions: RecordWriter<PollDefinition>;
  /** One writer per region this gateway takes votes for (VOTE_REGIONS), each to that region's ballots topic. */
  regionBallots: ReadonlyMap<string, RecordWriter<Ballot>>;
}

type PollRoute = { Params: { pollId: string } };

/** Problems found past the schema are refused like schema violations: 400 before anything is produced. */
function refuseIfAny(problems: ErrorDetail[]): void {
  if (problems.length > 0) throw new HttpProblem(400, invalidFields(problems));
}

/**
 * The global-vote writes. A definition is one PollDefinition keyed by pollId (the newest wins); a vote is one
 * Ballot on the topic of the region that took it, so a region's votes stay in that region and only its counts
 * leave it. A 202 means Kafka acknowledged the record.
 */
export const pollRoutes: FastifyPluginAsync<PollRouteOptions> = async (app, deps) => {
  const regions = [...deps.regionBallots.keys()];
  const define = acknowledgedWrite(app.log, deps.pollDefinitions, 'poll definitions');
  const castIn = new Map(
    [...deps.regionBallots].map(([region, writer]) => [
      region,
      acknowledgedWrite(app.log, writer, `${region} ballots`),
    ]),
  );
  /**
   * Each ballot to its region's own topic; every region's share goes out at once, all acknowledged or a 503. The
   * region check passes only regions of `regions`, each of which has a writer.
   */
  const cast = async (ballots: Ballot[], deadline: AbortSignal): Promise<void> => {
    await Promise.all(
      regions.map((region) => {
        const share = ballots.filter((ballot) => ballot.region === region);
        return share.length === 0
          ? undefined
          : castIn.get(region)!(
              share.map((ballot) => ({ key: ballotKey(ballot), value: ballot })),
              deadline,
            );
      }),
    );
  };
  const options = (scope: Scope, { summary, description, body }: PollWriteSchema) => ({
    bodyLimit: WRITE_BODY_LIMIT,
    onRequest: requireScope(deps.keyring, scope),
    schema: {
      tags: ['polls'],
      summary,
      description,
      security: writeSecurity,
      params: pollParams,
      querystring: noQuery,
      body,
      response: { 202: acceptedResponse, ...writeErrors },
    },
  });

  app.put<PollRoute & { Body: PollDefinitionRequest }>(
    '/v1/polls/:pollId',
    options('polls:admin', pollDefinitionWrite),
    async (request, reply) => {
      refuseIfAny(pollRegionProblems(request.body, regions));
      const receivedAtMs = deps.clock();
      const definition = toPollDefinition(
        request.params.pollId,
        request.body,
        gatewayWriteKey(request, receivedAtMs),
        receivedAtMs,
      );
      await withWriteDeadline(deps.writeDeadlineMs, (deadline) =>
        define([{ key: definition.pollId, value: definition }], deadline),
      );
      return reply.code(202).send({ id: formatWriteKey(definition) });
    },
  );

  app.post<PollRoute & { Body: VoteRequest }>(
    '/v1/polls/:pollId/votes',
    options('polls:write', voteWrite),
    async (request, reply) => {
      refuseIfAny(voteRegionProblems(request.body, regions));
      const ballot = toBallot(request.params.pollId, request.body, deps.clock());
      await withWriteDeadline(deps.writeDeadlineMs, (deadline) => cast([ballot], deadline));
      return reply.code(202).send({ id: formatWriteKey(ballot) });
    },
  );

  batchRoute<BatchVoteItem, Ballot>(app, deps, {
    url: '/v1/polls/votes/batch',
    tag: 'polls',
    items: 'votes of any polls and regions',
    description:
      'Each item is the body of POST /v1/polls/{pollId}/votes with its `pollId`; each vote goes to its own region’s ballots topic.',
    scope: 'polls:write',
    item: voteBatchItem,
    problems: (item, where) => voteRegionProblems(item, regions, where),
    accept: ({ pollId, ...vote }, receivedAtMs) => {
      const ballot = toBallot(pollId, vote, receivedAtMs);
      return { value: ballot, answer: { id: formatWriteKey(ballot) } };
    },
    write: cast,
  });
};
