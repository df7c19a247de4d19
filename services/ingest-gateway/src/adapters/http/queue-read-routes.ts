import type { FastifyInstance } from 'fastify';
import { queueParams, ticketParams, verifyBody } from './queue-schemas.js';
import { routeRead, type ReadOwner } from './read-routing.js';
import { WRITE_BODY_LIMIT, noQuery, readErrors, readWithBodyErrors } from './schemas.js';

const queuePath = (queueId: string) => `/v1/queues/${encodeURIComponent(queueId)}`;

/**
 * Reads of tickets and queues, and the admission check, owned by the queue-admitter: validated here, answered
 * there. No key needed: clients poll their ticket, and a booking service checks the token a client shows it.
 */
export function queueReadRoutes(app: FastifyInstance, owner: ReadOwner): void {
  app.get<{ Params: { queueId: string; ticketId: string } }>(
    '/v1/queues/:queueId/tickets/:ticketId',
    {
      schema: {
        tags: ['queues'],
        summary: 'Where a ticket stands: waiting (with how many are ahead), active (with its admission token), or ended',
        description:
          'Answers {status: waiting|active|expired|left|completed, position, waitingTotal, estimatedWaitSeconds, admissionToken?, expiresAt?} from the queue-admitter; ' +
          '404 while the admitter has not seen the join yet. The server admits; clients only poll.',
        params: ticketParams,
        querystring: noQuery,
        response: readErrors,
      },
    },
    async (request, reply) => routeRead(owner, `${queuePath(request.params.queueId)}/tickets/${encodeURIComponent(request.params.ticketId)}`, reply),
  );

  app.get<{ Params: { queueId: string } }>(
    '/v1/queues/:queueId',
    {
      schema: {
        tags: ['queues'],
        summary: 'How many wait and how many are active, out of the capacity',
        description: 'Answers {waiting, active, capacity, admittedTotal} from the queue-admitter.',
        params: queueParams,
        querystring: noQuery,
        response: readErrors,
      },
    },
    async (request, reply) => routeRead(owner, queuePath(request.params.queueId), reply),
  );

  app.post<{ Params: { queueId: string }; Body: { token: string } }>(
    '/v1/queues/:queueId/admissions/verify',
    {
      bodyLimit: WRITE_BODY_LIMIT,
      schema: {
        tags: ['queues'],
        summary: 'Checks an admission token a client shows, e.g. before a booking: is it signed by the queue, for this queue, and still valid?',
        description: 'Answers {valid, ticketId, userId, expiresAt} from the queue-admitter. No key needed: a token cannot be forged, and the answer is only about it.',
        params: queueParams,
        querystring: noQuery,
        body: verifyBody,
        response: readWithBodyErrors,
      },
    },
    async (request, reply) => routeRead(owner, `${queuePath(request.params.queueId)}/admissions/verify`, reply, request.body),
  );
}
