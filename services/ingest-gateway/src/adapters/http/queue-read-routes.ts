import type { FastifyPluginAsync, onRequestAsyncHookHandler } from 'fastify';
import { WRITE_BODY_LIMIT } from '@tally/contracts';
import { bearerOf, type ApiKeyring } from '../../domain/api-keys.js';
import { apiError } from '../../domain/api-error.js';
import { opensTicket } from '../../domain/queue.js';
import { admit, pathQueue, presentedBy } from './auth.js';
import { HttpProblem } from './problems.js';
import {
  POLL_AFTER_DESCRIPTION,
  jwksAnswer,
  queueAnswer,
  queueParams,
  ticketAnswer,
  ticketParams,
  verifyAnswer,
  verifyBody,
} from './queue-schemas.js';
import { PUBLIC, ownConnections, routeRead, type PrivateReadOptions } from './read-routing.js';
import { noQuery, privateReadErrors, readErrors, readWithBodyErrors, ticketReadSecurity } from './schemas.js';

const queuePath = (queueId: string) => `/v1/queues/${encodeURIComponent(queueId)}`;

/** How long a site's edge may keep the admission keys before asking again: a new key is published at least this long before it signs. */
export const JWKS_CACHE_CONTROL = 'public, max-age=300';

/**
 * A ticket (with its admission token) is read by its holder, who shows the ticket secret the join answered
 * with, or by a key with the queues:read scope that serves the queue. Anyone else is refused, whatever the id.
 */
function requireTicketHolder(keyring: ApiKeyring): onRequestAsyncHookHandler {
  return async (request) => {
    const { queueId, ticketId } = request.params as { queueId: string; ticketId: string };
    const presented = bearerOf(request.headers.authorization);
    if (presented?.startsWith('ts_')) {
      if (!opensTicket(presented, queueId, ticketId))
        throw new HttpProblem(403, apiError('forbidden', 'the ticket secret is not the secret of this ticket'));
      return;
    }
    admit(request, keyring.permit(presentedBy(request, keyring), 'queues:read', pathQueue({ queueId })));
  };
}

/**
 * Reads of tickets and queues, the admission check and the admission keys, owned by the queue-admitter:
 * validated here, answered there. A ticket is private (its holder's secret or a queues:read key); a queue's
 * figures, the check of a token a client shows, and the public keys are open.
 */
export const queueReadRoutes: FastifyPluginAsync<PrivateReadOptions> = async (app, options) => {
  const { keyring } = options;
  const owner = ownConnections(app, options.owner);
  app.get<{ Params: { queueId: string; ticketId: string } }>(
    '/v1/queues/:queueId/tickets/:ticketId',
    {
      onRequest: requireTicketHolder(keyring),
      schema: {
        tags: ['queues'],
        summary:
          'Where a ticket stands: waiting (with how many are ahead), active (with its admission token), or ended',
        description:
          'Private: send `Authorization: Bearer <ticketSecret>` (from the join) or a key with the queues:read scope for this queue. ' +
          'Answers {ticketId, status: waiting|active|expired|left|completed|abandoned, position, waitingTotal, estimatedWaitSeconds, pollAfterSeconds, admissionToken?, expiresAt?, opensAt?} from the queue-admitter; ' +
          'position is null in the pre-queue (before opensAt: the order is drawn at random and not shown); estimatedWaitSeconds is a number while the ticket waits. ' +
          'Reading a waiting ticket counts as its holder being seen (abandonSeconds). ' +
          `pollAfterSeconds: ${POLL_AFTER_DESCRIPTION}. ` +
          '404 while the admitter has not seen the join yet. The server admits; clients only poll.',
        security: ticketReadSecurity,
        params: ticketParams,
        querystring: noQuery,
        response: { 200: ticketAnswer, ...privateReadErrors },
      },
    },
    async (request, reply) =>
      routeRead(
        owner,
        `${queuePath(request.params.queueId)}/tickets/${encodeURIComponent(request.params.ticketId)}`,
        reply,
      ),
  );

  app.get<{ Params: { queueId: string } }>(
    '/v1/queues/:queueId',
    {
      schema: {
        tags: ['queues'],
        summary:
          'The waiting room as a queue page shows it: the line, the settings, the outflow and the wait for a newcomer',
        description:
          'Public (no key; rate limited per client address). Answers {queueId, waiting, active, capacity, admittedTotal, state: pre-queue|open|paused, activeSeconds, admitPerMinute, opensAt, abandonSeconds, paused, settingsVersion, outflowPerMinute, newcomerWaitSeconds} from the queue-admitter.',
        params: queueParams,
        querystring: noQuery,
        response: { 200: queueAnswer, ...readErrors },
      },
    },
    async (request, reply) => routeRead(owner, queuePath(request.params.queueId), reply, PUBLIC),
  );

  app.post<{ Params: { queueId: string }; Body: { token: string } }>(
    '/v1/queues/:queueId/admissions/verify',
    {
      bodyLimit: WRITE_BODY_LIMIT,
      schema: {
        tags: ['queues'],
        summary:
          'Checks an admission token a client shows, e.g. before a booking: is it signed by the queue, for this queue, still valid, and its ticket still active?',
        description:
          'Answers {valid, ticketId, userId, expiresAt} or {valid: false, reason} from the queue-admitter. No key needed: a token cannot be forged, and the answer is only about it. ' +
          'A site may instead verify tokens offline against /.well-known/jwks.json (ES256, aud = queueId, sub = userId, jti = ticketId).',
        params: queueParams,
        querystring: noQuery,
        body: verifyBody,
        response: { 200: verifyAnswer, ...readWithBodyErrors },
      },
    },
    async (request, reply) =>
      routeRead(owner, `${queuePath(request.params.queueId)}/admissions/verify`, reply, { sent: request.body }),
  );

  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['queues'],
        summary: 'The public keys admission tokens are signed with (JWKS), for verifying tokens offline',
        description: `Every key that may have signed a live token, each with its kid (ES256). Cache it (${JWKS_CACHE_CONTROL}); on an unknown kid, fetch it again.`,
        querystring: noQuery,
        response: { 200: jwksAnswer, ...readErrors },
      },
    },
    async (_request, reply) =>
      routeRead(owner, '/.well-known/jwks.json', reply, { ...PUBLIC, cacheControl: JWKS_CACHE_CONTROL }),
  );
};
