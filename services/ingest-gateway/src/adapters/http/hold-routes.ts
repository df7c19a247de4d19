import type { FastifyPluginAsync } from 'fastify';
import { WRITE_BODY_LIMIT } from '@tally/contracts';
import type { ApiKeyring } from '../../domain/api-keys.js';
import { captureProblems, holdProblems } from '../../domain/wallet-amounts.js';
import type { ConflictFields } from '../../domain/wallet-outcome.js';
import {
  toCaptureCommand,
  toHoldCommand,
  toReleaseCommand,
  type CaptureRequest,
  type HoldRequest,
  type ReleaseRequest,
} from '../../domain/wallet.js';
import { pathUser, requireScope, requireServed } from './auth.js';
import { writeSecurity } from './schemas.js';
import { refuseIfAny, walletWriting, type WalletWriteDeps } from './wallet-write.js';
import {
  WAIT_DESCRIPTION,
  captureBody,
  holdBody,
  holdParams,
  releaseBody,
  transactionQuery,
  waitedWriteResponses,
  walletParams,
} from './wallet-schemas.js';

export interface HoldRouteOptions extends WalletWriteDeps {
  keyring: ApiKeyring;
  clock: () => number;
}

type Wait = { Querystring: { wait: boolean } };
type OnHold = { Params: { userId: string; holdId: string } } & Wait;

/** Where a field the ledger says differs (id_reused_with_different_<field>) is in each request. */
const HOLD_FIELDS: ConflictFields = {
  amount: 'body.amount',
  asset: 'body.asset',
  to: 'body.to',
  timeout: 'body.timeoutSeconds',
  user: 'params.userId',
  reason: 'body.reason',
};
const CAPTURE_FIELDS: ConflictFields = {
  amount: 'body.amount',
  asset: 'body.asset',
  hold: 'params.holdId',
  user: 'params.userId',
  reason: 'body.reason',
};
const RELEASE_FIELDS: ConflictFields = { hold: 'params.holdId', user: 'params.userId', reason: 'body.reason' };

const LIFECYCLE =
  'A hold is pending until captured (all or part of it: the rest is released, and what is captured goes to its `to` when it named one), ' +
  'released, or expired (it releases itself timeoutSeconds after it was received). ';

/**
 * Holds: funds of one user kept aside (no longer available) until captured, released or expired. Each step is a
 * WalletCommand keyed by the hold's user, so a hold and its capture or release apply in order on one partition.
 */
export const holdRoutes: FastifyPluginAsync<HoldRouteOptions> = async (app, deps) => {
  const { keyring, assets } = deps;
  const authorizeUser = requireScope(keyring, 'wallets:write', pathUser);
  // the payee named by a hold is written for too (a capture credits it): the key must serve them as well
  const authorizePayee = requireServed<HoldRequest>(keyring, 'wallets:write', (body) => ({
    kind: 'users',
    ids: body.to === undefined ? [] : [body.to],
  }));
  const writing = walletWriting(app, deps);
  const options = (summary: string, description: string, params: object, body: object) => ({
    bodyLimit: WRITE_BODY_LIMIT,
    onRequest: authorizeUser,
    schema: {
      tags: ['holds'],
      summary,
      description: `${description} ${WAIT_DESCRIPTION}`,
      security: writeSecurity,
      params,
      querystring: transactionQuery,
      body,
      response: waitedWriteResponses,
    },
  });

  app.post<{ Params: { userId: string }; Body: HoldRequest } & Wait>(
    '/v1/wallets/:userId/holds',
    {
      ...options(
        'Keeps an amount of a user’s asset aside, to capture or release later',
        LIFECYCLE +
          'The hold is named by its write id, "<source>:<seq>" (the answer’s id). Rejected (insufficient_funds) when the available balance is short. ' +
          'Needs wallets:write for the user, and for `to` when given.',
        walletParams,
        holdBody,
      ),
      preHandler: authorizePayee,
    },
    async (request, reply) => {
      refuseIfAny(holdProblems(assets, request.params.userId, request.body));
      const command = toHoldCommand(request.params.userId, request.body, assets, deps.clock());
      return writing.answer(command, request.query.wait, reply, HOLD_FIELDS);
    },
  );

  app.post<OnHold & { Body: CaptureRequest }>(
    '/v1/wallets/:userId/holds/:holdId/capture',
    options(
      'Takes all or part of a pending hold: debited from the user (and paid to the hold’s `to`), the rest released',
      LIFECYCLE +
        'Without `amount`, all of it is captured; an `amount` comes with its `asset`, the hold’s. Rejected: hold_not_found, hold_not_pending, ' +
        'hold_expired (after its timeout, even before the ledger expired it), capture_exceeds_hold, hold_asset_mismatch.',
      holdParams,
      captureBody,
    ),
    async (request, reply) => {
      refuseIfAny(captureProblems(assets, request.body));
      const { userId, holdId } = request.params;
      const command = toCaptureCommand(userId, holdId, request.body, assets, deps.clock());
      return writing.answer(command, request.query.wait, reply, CAPTURE_FIELDS);
    },
  );

  app.post<OnHold & { Body: ReleaseRequest }>(
    '/v1/wallets/:userId/holds/:holdId/release',
    options(
      'Gives a pending hold back: what it kept is available again',
      LIFECYCLE + 'Rejected: hold_not_found, hold_not_pending.',
      holdParams,
      releaseBody,
    ),
    async (request, reply) => {
      const { userId, holdId } = request.params;
      const command = toReleaseCommand(userId, holdId, request.body, deps.clock());
      return writing.answer(command, request.query.wait, reply, RELEASE_FIELDS);
    },
  );
};
