import type { FastifyInstance } from 'fastify';
import { idParam, listLimit, writeIdParam } from '@tally/contracts';
import { answerReadErrors, sendProblem } from '@tally/observability';
import { formatMinor } from '@tally/money';
import type { LedgerStore, StoredEntry } from './postgres-ledger.js';

const userParams = {
  type: 'object',
  required: ['userId'],
  properties: { userId: idParam() },
} as const;

const transactionParams = {
  type: 'object',
  required: ['userId', 'id'],
  properties: {
    ...userParams.properties,
    id: writeIdParam(),
  },
} as const;

const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: listLimit(20) },
} as const;

/** An entry as the API shows it: amounts as decimal strings, lower-case words. */
function transactionOf(e: StoredEntry) {
  return {
    id: e.id,
    type: e.type.toLowerCase(),
    asset: e.asset,
    amount: formatMinor(e.amountMinor),
    status: e.status.toLowerCase(),
    ...(e.rejection ? { reason: e.rejection } : {}),
    ...(e.reason ? { note: e.reason } : {}),
    grant: e.grant,
    balanceAfter: formatMinor(e.balanceAfterMinor),
    at: e.requestedAtMs,
  };
}

/** The reads this service owns, straight from the ledger; the gateway routes clients here under the same paths. */
export function walletRoutes(deps: { store: LedgerStore; now: () => number }) {
  return (app: FastifyInstance) => {
    answerReadErrors(app, 'the ledger cannot be read right now');

    app.get<{ Params: { userId: string } }>(
      '/v1/wallets/:userId',
      { schema: { params: userParams } },
      async (request) => {
        const balances = await deps.store.balancesOf(request.params.userId);
        return {
          userId: request.params.userId,
          balances: Object.fromEntries([...balances].map(([asset, minor]) => [asset, formatMinor(minor)])),
          asOf: deps.now(),
        };
      },
    );

    app.get<{ Params: { userId: string }; Querystring: { limit: number } }>(
      '/v1/wallets/:userId/transactions',
      { schema: { params: userParams, querystring: historyQuery } },
      async (request) => ({
        userId: request.params.userId,
        transactions: (await deps.store.history(request.params.userId, request.query.limit)).map(transactionOf),
      }),
    );

    app.get<{ Params: { userId: string; id: string } }>(
      '/v1/wallets/:userId/transactions/:id',
      { schema: { params: transactionParams } },
      async (request, reply) => {
        const entry = await deps.store.entry(request.params.userId, request.params.id);
        if (!entry)
          return sendProblem(
            reply,
            'not_found',
            `no transaction ${request.params.id} of user ${request.params.userId} (yet)`,
          );
        return { userId: request.params.userId, ...transactionOf(entry) };
      },
    );
  };
}
