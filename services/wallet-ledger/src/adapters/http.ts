import type { FastifyInstance } from 'fastify';
import { answerReadErrors } from '@tally/observability';
import { formatMinor } from '@tally/money';
import type { LedgerStore, StoredEntry } from './postgres-ledger.js';

const userParams = {
  type: 'object',
  required: ['userId'],
  properties: { userId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:@-]+$' } },
} as const;

const transactionParams = {
  type: 'object',
  required: ['userId', 'id'],
  properties: {
    ...userParams.properties,
    id: { type: 'string', maxLength: 90, pattern: '^[A-Za-z0-9._:-]{1,64}:(0|[1-9][0-9]{0,15})$' },
  },
} as const;

const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
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
          return reply.code(404).send({
            error: 'not_found',
            message: `no transaction ${request.params.id} of user ${request.params.userId} (yet)`,
            details: [],
          });
        return { userId: request.params.userId, ...transactionOf(entry) };
      },
    );
  };
}
