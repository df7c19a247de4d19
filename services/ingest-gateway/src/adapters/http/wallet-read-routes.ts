import type { FastifyPluginAsync } from 'fastify';
import { pathUser, requireScope } from './auth.js';
import { ownConnections, routeRead, type PrivateReadOptions } from './read-routing.js';
import { noQuery, privateReadErrors, privateReadSecurity } from './schemas.js';
import {
  historyAnswer,
  holdAnswer,
  holdParams,
  transactionAnswer,
  transactionHistoryQuery,
  transactionParams,
  walletAnswer,
  walletParams,
} from './wallet-schemas.js';

const walletPath = (userId: string) => `/v1/wallets/${encodeURIComponent(userId)}`;

const PRIVATE =
  "Private: needs a key with the wallets:read scope that serves this user (401 without a key, 403 for another tenant's user). ";

/**
 * Reads of balances, history and holds, owned by the wallet-ledger: validated here, answered there. A wallet is
 * private: a key with wallets:read, serving the user, or nothing.
 */
export const walletReadRoutes: FastifyPluginAsync<PrivateReadOptions> = async (app, options) => {
  const { keyring } = options;
  const owner = ownConnections(app, options.owner);
  const onRequest = requireScope(keyring, 'wallets:read', pathUser);
  app.get<{ Params: { userId: string } }>(
    '/v1/wallets/:userId',
    {
      onRequest,
      schema: {
        tags: ['wallets'],
        summary: "A user's balance of every asset",
        description:
          PRIVATE +
          'Answers {userId, balances: {asset: "12.34"}, available: {asset: ...}, held: {asset: ...}, asOf} from the wallet-ledger: ' +
          'available is what no pending hold keeps (balance - held).',
        params: walletParams,
        querystring: noQuery,
        security: privateReadSecurity,
        response: { 200: walletAnswer, ...privateReadErrors },
      },
    },
    async (request, reply) => routeRead(owner, walletPath(request.params.userId), reply),
  );

  app.get<{ Params: { userId: string }; Querystring: { limit: number } }>(
    '/v1/wallets/:userId/transactions',
    {
      onRequest,
      schema: {
        tags: ['wallets'],
        summary: "A user's transactions, newest first, each with its status and the balance after it",
        description:
          PRIVATE +
          'Answered by the wallet-ledger, with `limit` (default 20) filled in: {userId, transactions: [...]}, each with its type, status, ' +
          'balanceAfter (and heldAfter, availableAfter), and for a transfer, group or hold its other side, member or hold.',
        params: walletParams,
        querystring: transactionHistoryQuery,
        security: privateReadSecurity,
        response: { 200: historyAnswer, ...privateReadErrors },
      },
    },
    async (request, reply) => {
      const query = new URLSearchParams({ limit: String(request.query.limit) });
      return routeRead(owner, `${walletPath(request.params.userId)}/transactions?${query}`, reply);
    },
  );

  app.get<{ Params: { userId: string; id: string } }>(
    '/v1/wallets/:userId/transactions/:id',
    {
      onRequest,
      schema: {
        tags: ['wallets'],
        summary: "One transaction's outcome: applied or rejected, and the balance after it",
        description:
          PRIVATE +
          'Answered by the wallet-ledger; 404 while the ledger has not seen it yet. `conflicts` lists later writes that reused its id with another body (each refused, 409).',
        params: transactionParams,
        querystring: noQuery,
        security: privateReadSecurity,
        response: { 200: transactionAnswer, ...privateReadErrors },
      },
    },
    async (request, reply) =>
      routeRead(
        owner,
        `${walletPath(request.params.userId)}/transactions/${encodeURIComponent(request.params.id)}`,
        reply,
      ),
  );

  app.get<{ Params: { userId: string; holdId: string } }>(
    '/v1/wallets/:userId/holds/:holdId',
    {
      onRequest,
      schema: {
        tags: ['holds'],
        summary: 'A hold: what it keeps, and whether it is pending, captured, released or expired',
        description:
          PRIVATE +
          'Answers {userId, id, asset, amount, captured?, status: pending|captured|released|expired, to?, expiresAt, at, reason?} from the wallet-ledger; ' +
          '404 while the ledger has not seen the hold yet.',
        params: holdParams,
        querystring: noQuery,
        security: privateReadSecurity,
        response: { 200: holdAnswer, ...privateReadErrors },
      },
    },
    async (request, reply) =>
      routeRead(
        owner,
        `${walletPath(request.params.userId)}/holds/${encodeURIComponent(request.params.holdId)}`,
        reply,
      ),
  );
};
