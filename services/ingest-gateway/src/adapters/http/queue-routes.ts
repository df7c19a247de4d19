import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { WRITE_BODY_LIMIT, formatWriteKey, invalidFields, type WriteKey } from '@tally/contracts';
import type { QueueCommand } from '@tally/schemas';
import type { Scope } from '../../domain/api-keys.js';
import {
  configureProblems,
  ticketFor,
  toCompleteCommand,
  toConfigureCommand,
  toJoinCommand,
  toLeaveCommand,
  type BatchJoinItem,
  type ConfigureRequest,
  type JoinRequest,
} from '../../domain/queue.js';
import type { RecordWriter } from '../../ports/record-writer.js';
import { acknowledgedWrite, withWriteDeadline } from './acknowledged-write.js';
import { pathQueue, requireScope } from './auth.js';
import { batchRoute, type BatchDeps } from './batch-route.js';
import { acceptEmptyJsonBody } from './empty-body.js';
import { HttpProblem } from './problems.js';
import { gatewayWriteKey } from './gateway-write-key.js';
import {
  completeWrite,
  configureWrite,
  joinAccepted,
  joinBatchItem,
  joinWrite,
  leaveWrite,
  type QueueWriteSchema,
} from './queue-schemas.js';
import { noQuery, writeErrors, writeSecurity } from './schemas.js';

export interface QueueRouteOptions extends BatchDeps {
  queueCommands: RecordWriter<QueueCommand>;
  /** TICKET_KEY: the server secret ticket ids and secrets are derived from. */
  ticketKey: string;
}

type TicketAction = (queueId: string, ticketId: string, key: WriteKey, receivedAtMs: number) => QueueCommand;
type QueueRoute = { Params: { queueId: string } };
type TicketRoute = { Params: { queueId: string; ticketId: string } };

/**
 * The waiting-queue writes: each becomes one QueueCommand keyed by queueId, so one queue's commands keep the
 * order they reached the gateway in on one partition: that order is the line (first come, first served). A 202
 * means Kafka acknowledged it.
 */
export const queueRoutes: FastifyPluginAsync<QueueRouteOptions> = async (app, deps) => {
  const produce = acknowledgedWrite(app.log, deps.queueCommands, 'queue commands');
  const asRecord = (command: QueueCommand) => ({ key: command.queueId, value: command });
  const write = async (command: QueueCommand): Promise<string> => {
    await withWriteDeadline(deps.writeDeadlineMs, (deadline) => produce([asRecord(command)], deadline));
    return formatWriteKey(command);
  };
  const options = (scope: Scope, { summary, description, params, body, accepted }: QueueWriteSchema) => ({
    bodyLimit: WRITE_BODY_LIMIT,
    onRequest: requireScope(deps.keyring, scope, pathQueue),
    schema: {
      tags: ['queues'],
      summary,
      description,
      security: writeSecurity,
      params,
      querystring: noQuery,
      body,
      response: { 202: accepted, ...writeErrors },
    },
  });

  app.put<QueueRoute & { Body: ConfigureRequest }>(
    '/v1/queues/:queueId',
    options('queues:admin', configureWrite),
    async (request, reply) => {
      const receivedAtMs = deps.clock();
      const problems = configureProblems(request.body, receivedAtMs);
      if (problems.length > 0) throw new HttpProblem(400, invalidFields(problems));
      const command = toConfigureCommand(
        request.params.queueId,
        request.body,
        gatewayWriteKey(request, receivedAtMs),
        receivedAtMs,
      );
      return reply.code(202).send({ id: await write(command) });
    },
  );

  app.post<QueueRoute & { Body: JoinRequest }>(
    '/v1/queues/:queueId/tickets',
    options('queues:write', joinWrite),
    async (request, reply) => {
      const { queueId } = request.params;
      const ticket = ticketFor(deps.ticketKey, queueId, request.body);
      const command = toJoinCommand(queueId, request.body, ticket.ticketId, deps.clock());
      return reply.code(202).send({ id: await write(command), ...ticket });
    },
  );

  // the joins of a batch keep their order within each queue: one write, each queue's on its own partition
  batchRoute<BatchJoinItem, QueueCommand>(app, deps, {
    url: '/v1/queues/tickets/batch',
    tag: 'queues',
    items: 'joins of any queues',
    description:
      'Each item is the body of POST /v1/queues/{queueId}/tickets with its `queueId`; each 202 result carries its ticketId and ticketSecret, as the single join does.',
    scope: 'queues:write',
    item: joinBatchItem,
    answer: { ticketId: joinAccepted.properties.ticketId, ticketSecret: joinAccepted.properties.ticketSecret },
    names: { kind: 'queues', ids: (item) => [item.queueId] },
    accept: ({ queueId, ...join }, receivedAtMs) => {
      const ticket = ticketFor(deps.ticketKey, queueId, join);
      const command = toJoinCommand(queueId, join, ticket.ticketId, receivedAtMs);
      return { value: command, answer: { id: formatWriteKey(command), ...ticket } };
    },
    write: (commands, deadline) => produce(commands.map(asRecord), deadline),
  });

  // leave and complete take no body; their scope reads an empty JSON body as none (see acceptEmptyJsonBody)
  await app.register(async (scope: FastifyInstance) => {
    acceptEmptyJsonBody(scope);
    const ticketAction = (method: 'DELETE' | 'POST', url: string, schema: QueueWriteSchema, toCommand: TicketAction) =>
      scope.route<TicketRoute>({
        method,
        url,
        ...options('queues:write', schema),
        handler: async (request, reply) => {
          const receivedAtMs = deps.clock();
          const { queueId, ticketId } = request.params;
          return reply.code(202).send({
            id: await write(toCommand(queueId, ticketId, gatewayWriteKey(request, receivedAtMs), receivedAtMs)),
          });
        },
      });
    ticketAction('DELETE', '/v1/queues/:queueId/tickets/:ticketId', leaveWrite, toLeaveCommand);
    ticketAction('POST', '/v1/queues/:queueId/tickets/:ticketId/complete', completeWrite, toCompleteCommand);
  });
};
