import type { FastifyInstance } from 'fastify';
import { admissionTokenParam, idParam, ticketIdParam } from '@tally/contracts';
import { answerReadErrors, sendProblem } from '@tally/observability';
import type { AdmissionTokens } from '../domain/admission-token.js';
import { estimatedWaitSeconds } from '../domain/admission.js';
import type { QueueStore } from './postgres-queues.js';
import type { QueueProjection } from './redis-queues.js';

const queueParams = { type: 'object', required: ['queueId'], properties: { queueId: idParam() } } as const;
const ticketParams = {
  type: 'object',
  required: ['queueId', 'ticketId'],
  properties: { queueId: idParam(), ticketId: ticketIdParam() },
} as const;
const verifyBody = {
  type: 'object',
  required: ['token'],
  additionalProperties: false,
  properties: { token: admissionTokenParam() },
} as const;

export interface QueueReadDeps {
  store: QueueStore;
  projection: QueueProjection;
  /** Every partition of the commands topic: Redis answers only when all of them are projected. */
  partitions: number[];
  /** Signs the tokens of active tickets, verifies tokens shown to the verify route, publishes the public keys. */
  tokens: AdmissionTokens;
  now: () => number;
}

/** The reads this service owns; the gateway routes clients here under the same paths. */
export function queueRoutes(deps: QueueReadDeps) {
  const redisWhole = async () => (await deps.projection.partitionsNotReady(deps.partitions)).length === 0;

  /** A ticket as a client sees it: from Redis while it is live, from Postgres once it ended or Redis is rebuilding. */
  async function ticketView(queueId: string, ticketId: string) {
    const live = (await redisWhole()) ? await deps.projection.ticket(queueId, ticketId) : undefined;
    if (live) return { ...live, rate: live.admissionRate };
    const stored = await deps.store.ticket(queueId, ticketId);
    if (!stored) return undefined;
    return { ...stored.ticket, position: stored.position, waitingTotal: stored.waitingTotal, rate: 0 };
  }

  return (app: FastifyInstance) => {
    answerReadErrors(app, 'the queue cannot be read right now');

    app.get<{ Params: { queueId: string; ticketId: string } }>(
      '/v1/queues/:queueId/tickets/:ticketId',
      { schema: { params: ticketParams } },
      async (request, reply) => {
        const { queueId, ticketId } = request.params;
        const t = await ticketView(queueId, ticketId);
        if (!t)
          return sendProblem(
            reply,
            'not_found',
            `no ticket ${ticketId} in queue ${queueId} (yet: a join is counted once the queue has read it)`,
          );
        const waiting = t.status === 'waiting';
        const active = t.status === 'active' && t.expiresAtMs !== null;
        return {
          ticketId: t.ticketId,
          status: t.status,
          position: waiting ? t.position : 0,
          waitingTotal: t.waitingTotal,
          estimatedWaitSeconds: waiting ? (estimatedWaitSeconds(t.position, t.rate) ?? null) : 0,
          ...(active
            ? {
                admissionToken: await deps.tokens.sign(
                  { queueId, ticketId: t.ticketId, userId: t.userId, expiresAtMs: t.expiresAtMs! },
                  deps.now(),
                ),
                expiresAt: t.expiresAtMs,
              }
            : {}),
        };
      },
    );

    app.get<{ Params: { queueId: string } }>(
      '/v1/queues/:queueId',
      { schema: { params: queueParams } },
      async (request, reply) => {
        const { queueId } = request.params;
        const summary =
          ((await redisWhole()) ? await deps.projection.queue(queueId) : undefined) ??
          (await deps.store.queue(queueId));
        if (!summary) return sendProblem(reply, 'not_found', `no queue ${queueId}`);
        return { queueId, ...summary };
      },
    );

    // the public keys admission tokens are signed with (RFC 7517), for verifying them offline with any JWT
    // library; a key is listed from before it signs until after the last token it signed has expired
    app.get('/.well-known/jwks.json', async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return deps.tokens.jwks;
    });

    app.post<{ Params: { queueId: string }; Body: { token: string } }>(
      '/v1/queues/:queueId/admissions/verify',
      { schema: { params: queueParams, body: verifyBody } },
      async (request) => {
        const { queueId } = request.params;
        const verdict = await deps.tokens.verify(request.body.token, queueId, deps.now());
        if (!verdict.valid) return { valid: false, reason: verdict.reason };
        // a signed, unexpired token is still void once its ticket left or completed
        const ticket = await deps.store.ticket(queueId, verdict.claims.ticketId);
        if (ticket?.ticket.status !== 'active') return { valid: false, reason: 'ended' };
        return {
          valid: true,
          ticketId: verdict.claims.ticketId,
          userId: verdict.claims.userId,
          expiresAt: verdict.claims.expiresAtMs,
        };
      },
    );
  };
}
