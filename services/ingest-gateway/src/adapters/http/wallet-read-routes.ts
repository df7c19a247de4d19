import type { FastifyInstance } from 'fastify';
import { routeRead, type ReadOwner } from './read-routing.js';
import { noQuery, readErrors } from './schemas.js';
import { transactionHistoryQuery, transactionParams, walletParams } from './wallet-schemas.js';

const walletPath = (userId: string) => `/v1/wallets/${encodeURIComponent(userId)}`;

/** Reads of balances and history, owned by the wallet-ledger: validated here, answered there. No key needed. */
export function walletReadRoutes(app: FastifyInstance, owner: ReadOwner): void {
  app.get<{ Params: { userId: string } }>(
    '/v1/wallets/:userId',
    {
      schema: {
        tags: ['wallets'],
        summary: "A user's balance of every asset",
        description: 'Answers {userId, balances: {asset: "12.34"}, asOf} from the wallet-ledger.',
        params: walletParams,
        querystring: noQuery,
        response: readErrors,
      },
    },
    async (request, reply) => routeRead(owner, walletPath(request.params.userId), reply),
  );

  app.get<{ Params: { userId: string }; Querystring: { limit: number } }>(
    '/v1/wallets/:userId/transactions',
    {
      schema: {
        tags: ['wallets'],
        summary: "A user's transactions, newest first, each with its status and the balance after it",
        description: 'Answered by the wallet-ledger, with `limit` (default 20) filled in.',
        params: walletParams,
        querystring: transactionHistoryQuery,
        response: readErrors,
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
      schema: {
        tags: ['wallets'],
        summary: "One transaction's outcome: applied or rejected, and the balance after it",
        description: 'Answered by the wallet-ledger; 404 while the ledger has not seen it yet.',
        params: transactionParams,
        querystring: noQuery,
        response: readErrors,
      },
    },
    async (request, reply) => routeRead(owner, `${walletPath(request.params.userId)}/transactions/${encodeURIComponent(request.params.id)}`, reply),
  );
}
