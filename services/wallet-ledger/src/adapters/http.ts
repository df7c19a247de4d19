import type { FastifyInstance } from 'fastify';
import { conflictReason, idParam, listLimit, writeIdParam } from '@tally/contracts';
import { formatMinor, type AssetCatalogue } from '@tally/money';
import { answerReadErrors, sendProblem } from '@tally/observability';
import type { Hold } from '../domain/holds.js';
import type { CommandType } from '../domain/ledger.js';
import type { LedgerStore, StoredEntry } from './postgres-ledger.js';

const userParams = {
  type: 'object',
  required: ['userId'],
  properties: { userId: idParam() },
} as const;

const transactionParams = {
  type: 'object',
  required: ['userId', 'id'],
  properties: { ...userParams.properties, id: writeIdParam() },
} as const;

const holdParams = {
  type: 'object',
  required: ['userId', 'holdId'],
  properties: { ...userParams.properties, holdId: writeIdParam() },
} as const;

const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: listLimit(20) },
} as const;

/** The reads this service owns, straight from the ledger; the gateway routes clients here under the same paths. */
export function walletRoutes(deps: { store: LedgerStore; now: () => number; assets: AssetCatalogue }) {
  /** Minor units as the API writes them: a decimal string with the asset's decimal places. */
  const money = (minor: bigint, asset: string) => formatMinor(minor, deps.assets.rule(asset)?.scale ?? 2);

  /** An entry as the API shows it: amounts as decimal strings, lower-case words; what a user's side did. */
  const transactionOf = (e: StoredEntry, writeType?: CommandType | null) => ({
    id: e.id,
    type: e.type.toLowerCase(),
    asset: e.asset,
    amount: money(e.amountMinor, e.asset),
    status: e.status.toLowerCase(),
    ...(e.rejection ? { reason: e.rejection } : {}),
    ...(e.reason ? { note: e.reason } : {}),
    grant: e.grant,
    ...(writeType === 'GROUP' ? { group: true } : {}),
    ...(e.leg > 0 ? { leg: e.leg } : {}),
    ...(e.type === 'TRANSFER' || (e.type === 'CAPTURE' && e.counterparty)
      ? e.balanceDeltaMinor < 0n || e.status === 'REJECTED'
        ? { from: e.userId, to: e.counterparty }
        : { from: e.counterparty, to: e.userId }
      : {}),
    ...(e.holdId ? { holdId: e.holdId } : {}),
    balanceAfter: money(e.balanceAfterMinor, e.asset),
    heldAfter: money(e.heldAfterMinor, e.asset),
    availableAfter: money(e.balanceAfterMinor - e.heldAfterMinor, e.asset),
    at: e.requestedAtMs,
  });

  const holdOf = (h: Hold) => ({
    id: h.id,
    userId: h.userId,
    asset: h.asset,
    amount: money(h.amountMinor, h.asset),
    status: h.status.toLowerCase(),
    ...(h.status === 'CAPTURED' ? { captured: money(h.capturedMinor, h.asset) } : {}),
    ...(h.to ? { to: h.to } : {}),
    ...(h.reason ? { note: h.reason } : {}),
    expiresAt: h.expiresAtMs,
    at: h.requestedAtMs,
  });

  return (app: FastifyInstance) => {
    answerReadErrors(app, 'the ledger cannot be read right now');

    app.get<{ Params: { userId: string } }>(
      '/v1/wallets/:userId',
      { schema: { params: userParams } },
      async (request) => {
        const accounts = [...(await deps.store.accountsOf(request.params.userId))];
        const each = (pick: (a: { balanceMinor: bigint; heldMinor: bigint }) => bigint) =>
          Object.fromEntries(accounts.map(([asset, account]) => [asset, money(pick(account), asset)]));
        return {
          userId: request.params.userId,
          // the balance: the sum of the applied entries; what holds keep of it is still in it, not available
          balances: each((a) => a.balanceMinor),
          available: each((a) => a.balanceMinor - a.heldMinor),
          held: each((a) => a.heldMinor),
          asOf: deps.now(),
        };
      },
    );

    app.get<{ Params: { userId: string }; Querystring: { limit: number } }>(
      '/v1/wallets/:userId/transactions',
      { schema: { params: userParams, querystring: historyQuery } },
      async (request) => ({
        userId: request.params.userId,
        transactions: (await deps.store.history(request.params.userId, request.query.limit)).map((e) =>
          transactionOf(e, e.writeType),
        ),
      }),
    );

    app.get<{ Params: { userId: string; id: string } }>(
      '/v1/wallets/:userId/transactions/:id',
      { schema: { params: transactionParams } },
      async (request, reply) => {
        const { userId, id } = request.params;
        const { entries, write, conflicts } = await deps.store.transaction(userId, id);
        const reuses = conflicts.map((c) => ({
          reason: conflictReason(c.field),
          field: c.field,
          at: c.atMs,
        }));
        const [first, ...others] = entries;
        if (first)
          return {
            userId,
            ...transactionOf(first, write?.body.type as CommandType | undefined),
            ...(write?.member !== null && write?.member !== undefined ? { member: write.member } : {}),
            ...(others.length > 0 ? { legs: entries.map((e) => transactionOf(e)) } : {}),
            ...(reuses.length > 0 ? { conflicts: reuses } : {}),
          };
        // the id names another user's write, and this user reused it: what they sent was refused
        const own = conflicts.find((c) => c.body.user === userId);
        if (own)
          return {
            userId,
            id,
            status: 'rejected',
            reason: conflictReason(own.field),
            conflict: true,
            conflicts: reuses,
          };
        return sendProblem(reply, 'not_found', `no transaction ${id} of user ${userId} (yet)`);
      },
    );

    app.get<{ Params: { userId: string; holdId: string } }>(
      '/v1/wallets/:userId/holds/:holdId',
      { schema: { params: holdParams } },
      async (request, reply) => {
        const hold = await deps.store.hold(request.params.userId, request.params.holdId);
        if (!hold)
          return sendProblem(
            reply,
            'not_found',
            `no hold ${request.params.holdId} of user ${request.params.userId} (yet)`,
          );
        return holdOf(hold);
      },
    );
  };
}
