import type { FastifyInstance } from 'fastify';
import { admissionTokenParam, idParam, ticketIdParam } from '@tally/contracts';
import { answerReadErrors, sendProblem } from '@tally/observability';
import type { AdmissionTokens } from '../domain/admission-token.js';
import { estimatedWaitSeconds, outflowPerMinute, phaseOf, slotIndex } from '../domain/outflow.js';
import { pollAfterSeconds } from '../domain/poll-interval.js';
import type { QueueStore, StoredQueueFigures } from './postgres-queues.js';
import type { QueueLine, QueueProjection } from './redis-queues.js';

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
  /** How often admissions are decided (ADMISSION_TICK_MS): a wait includes the round that admits it. */
  roundMs: number;
}

/** The reads this service owns; the gateway routes clients here under the same paths. */
export function queueRoutes(deps: QueueReadDeps) {
  const redisWhole = async () => (await deps.projection.partitionsNotReady(deps.partitions)).length === 0;

  /** A ticket as a client sees it: from Redis while it is live, from Postgres once it ended or Redis is rebuilding. */
  async function ticketView(queueId: string, ticketId: string, nowMs: number) {
    const live = (await redisWhole()) ? await deps.projection.ticket(queueId, ticketId, nowMs) : undefined;
    if (live) return live;
    const stored = await deps.store.ticket(queueId, ticketId);
    if (!stored) return undefined;
    const figures = stored.ticket.status === 'waiting' ? await deps.store.queue(queueId) : undefined;
    return {
      ...stored.ticket,
      position: stored.position,
      waitingTotal: stored.waitingTotal,
      line: figures && lineFromPostgres(figures, stored.position),
    };
  }

  /** Seconds a ticket `position` places from the front waits, as the line is now. */
  const waitAt = (line: QueueLine, position: number, nowMs: number) =>
    estimatedWaitSeconds(
      {
        settings: line.settings,
        observedHoldMs: line.observedHoldMs,
        activeCount: line.active,
        slotExpiresAtMs: line.slotExpiresAtMs,
        admittedLastMinute: line.admittedLastMinute,
        nowMs,
        roundMs: deps.roundMs,
      },
      position,
    );

  /** The queue as Postgres holds it, with the slot a join now would get: the fallback while Redis rebuilds. */
  async function fromPostgres(queueId: string): Promise<QueueLine | undefined> {
    const figures = await deps.store.queue(queueId);
    return figures && lineFromPostgres(figures, figures.waiting);
  }

  return (app: FastifyInstance) => {
    answerReadErrors(app, 'the queue cannot be read right now');

    app.get<{ Params: { queueId: string; ticketId: string } }>(
      '/v1/queues/:queueId/tickets/:ticketId',
      { schema: { params: ticketParams } },
      async (request, reply) => {
        const { queueId, ticketId } = request.params;
        const nowMs = deps.now();
        const t = await ticketView(queueId, ticketId, nowMs);
        if (!t)
          return sendProblem(
            reply,
            'not_found',
            `no ticket ${ticketId} in queue ${queueId} (yet: a join is counted once the queue has read it)`,
          );
        const waiting = t.status === 'waiting';
        const active = t.status === 'active' && t.expiresAtMs !== null;
        // before the opening the pre-queue has no order yet to show (it is drawn, and showing it would let a
        // visitor rejoin until they like their place); its estimate is for the middle of the pre-queue
        const preQueue = waiting && t.line !== undefined && phaseOf(t.line.settings, nowMs) === 'pre-queue';
        const estimateFor = preQueue ? Math.floor(t.waitingTotal / 2) : t.position;
        const estimated = waiting ? (t.line ? waitAt(t.line, estimateFor, nowMs) : null) : 0;
        return {
          ticketId: t.ticketId,
          status: t.status,
          position: preQueue ? null : waiting ? t.position : 0,
          waitingTotal: t.waitingTotal,
          estimatedWaitSeconds: estimated,
          // how soon to read it again (null: stop), which a client follows rather than an interval of its own
          pollAfterSeconds: pollAfterSeconds({
            status: t.status,
            estimatedWaitSeconds: estimated,
            settings: t.line?.settings,
            expiresAtMs: t.expiresAtMs,
            nowMs,
          }),
          ...(preQueue ? { opensAt: t.line!.settings.opensAtMs } : {}),
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
        const nowMs = deps.now();
        const line =
          ((await redisWhole()) ? await deps.projection.queue(queueId) : undefined) ?? (await fromPostgres(queueId));
        if (!line) return sendProblem(reply, 'not_found', `no queue ${queueId}`);
        const { settings } = line;
        return {
          queueId,
          waiting: line.waiting,
          active: line.active,
          capacity: settings.capacity,
          admittedTotal: line.admittedTotal,
          state: phaseOf(settings, nowMs),
          activeSeconds: settings.activeSeconds,
          admitPerMinute: settings.admitPerMinute,
          opensAt: settings.opensAtMs,
          abandonSeconds: settings.abandonSeconds,
          paused: settings.paused,
          settingsVersion: line.settingsVersion,
          outflowPerMinute: Math.round(outflowPerMinute(settings, line.observedHoldMs) * 10) / 10,
          newcomerWaitSeconds: waitAt(line, line.waiting, nowMs),
        };
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
        // a signed, unexpired token is still void once its ticket left or completed (one primary-key read)
        const status = await deps.store.ticketStatus(queueId, verdict.claims.ticketId);
        if (status !== 'active') return { valid: false, reason: 'ended' };
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

/**
 * A line from Postgres's figures, for the ticket `position` places from the front. Postgres gives the soonest
 * expiry only, which is the slot's exactly when one is active (the common fallback case: a small room); with
 * more it is an estimate on the early side.
 */
function lineFromPostgres(figures: StoredQueueFigures, position: number): QueueLine {
  const slot = slotIndex(figures.settings, figures.active, position);
  return { ...figures, slotExpiresAtMs: slot === null ? null : figures.nextExpiryMs };
}
