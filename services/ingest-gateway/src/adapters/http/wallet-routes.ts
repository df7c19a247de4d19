import type { FastifyPluginAsync } from 'fastify';
import type { WalletCommand } from '@tally/schemas';
import { WRITE_BODY_LIMIT } from '@tally/contracts';
import { amountProblems, groupProblems, transferProblems } from '../../domain/wallet-amounts.js';
import type { ConflictFields } from '../../domain/wallet-outcome.js';
import {
  groupUsers,
  toGrantCommands,
  toGroupCommand,
  toTransactionCommand,
  toTransferCommand,
  walletWriteId,
  type BatchTransactionItem,
  type GrantRequest,
  type GroupRequest,
  type TransactionRequest,
  type TransferRequest,
} from '../../domain/wallet.js';
import { pathUser, requireScope, requireServed } from './auth.js';
import { batchRoute, type BatchDeps } from './batch-route.js';
import { noQuery, writeErrors, writeSecurity } from './schemas.js';
import { refuseIfAny, walletWriting, type WalletWriteDeps } from './wallet-write.js';
import {
  GRANT_BODY_LIMIT,
  GROUP_BODY_LIMIT,
  grantAccepted,
  grantBody,
  groupBody,
  WAIT_DESCRIPTION,
  transactionBatchItem,
  transactionBody,
  transactionQuery,
  transferBody,
  waitedWriteResponses,
  walletParams,
} from './wallet-schemas.js';

export interface WalletRouteOptions extends WalletWriteDeps, BatchDeps {}

type Wait = { Querystring: { wait: boolean } };

/** Where a field the ledger says differs (id_reused_with_different_<field>) is in each request. */
const TRANSACTION_FIELDS: ConflictFields = {
  amount: 'body.amount',
  asset: 'body.asset',
  type: 'body.type',
  user: 'params.userId',
  reason: 'body.reason',
};
const TRANSFER_FIELDS: ConflictFields = {
  amount: 'body.amount',
  asset: 'body.asset',
  user: 'body.from',
  to: 'body.to',
  reason: 'body.reason',
};
const GROUP_FIELDS: ConflictFields = { members: 'body.members', user: 'body.members', reason: 'body.reason' };

/**
 * The wallet writes of balances: a credit or debit of one user, a grant to many, a transfer between two, and a
 * linked group of them applied all or none. Each is a WalletCommand keyed by its (first) user, so one user's
 * commands apply in order on one partition. A 202 means Kafka acknowledged every record of the write.
 */
export const walletRoutes: FastifyPluginAsync<WalletRouteOptions> = async (app, deps) => {
  const { keyring, assets } = deps;
  const authorize = requireScope(keyring, 'wallets:write');
  const authorizeUser = requireScope(keyring, 'wallets:write', pathUser);
  // a key limited to some users may write only for them: checked on the validated body
  const serving = <Body>(users: (body: Body) => readonly string[]) =>
    requireServed<Body>(keyring, 'wallets:write', (body) => ({ kind: 'users', ids: users(body) }));
  const writing = walletWriting(app, deps);

  app.post<{ Params: { userId: string }; Body: TransactionRequest } & Wait>(
    '/v1/wallets/:userId/transactions',
    {
      bodyLimit: WRITE_BODY_LIMIT,
      onRequest: authorizeUser,
      schema: {
        tags: ['wallets'],
        summary:
          "Credits or debits one user's balance of one asset; with ?wait=true, answers what the ledger made of it",
        description: WAIT_DESCRIPTION,
        security: writeSecurity,
        params: walletParams,
        querystring: transactionQuery,
        body: transactionBody,
        response: waitedWriteResponses,
      },
    },
    async (request, reply) => {
      refuseIfAny(amountProblems(assets, request.body, 'body'));
      const command = toTransactionCommand(request.params.userId, request.body, assets, deps.clock());
      return writing.answer(command, request.query.wait, reply, TRANSACTION_FIELDS);
    },
  );

  app.post<{ Body: GrantRequest }>(
    '/v1/wallets/grants',
    {
      bodyLimit: GRANT_BODY_LIMIT,
      onRequest: authorize,
      preHandler: serving<GrantRequest>((body) => body.userIds),
      schema: {
        tags: ['wallets'],
        summary: 'Credits the same amount to up to 1000 users at once, e.g. every member of a chat',
        description:
          "One credit per user, each named by the grant's (source, seq) and its user, so every member gets exactly one history entry; " +
          "each carries the digest of the grant's users, so the same (source, seq) reused for other users is refused as id_reused_with_different_grant_users. " +
          'Answers 202 {id, users} only once Kafka acknowledged every credit; on 503, retry the whole grant as is.',
        security: writeSecurity,
        querystring: noQuery,
        body: grantBody,
        response: { 202: grantAccepted, ...writeErrors },
      },
    },
    async (request, reply) => {
      refuseIfAny(amountProblems(assets, request.body, 'body'));
      const commands = toGrantCommands(request.body, assets, deps.clock());
      await writing.write(commands);
      return reply.code(202).send({ id: walletWriteId(request.body), users: commands.length });
    },
  );

  app.post<{ Body: TransferRequest } & Wait>(
    '/v1/transfers',
    {
      bodyLimit: WRITE_BODY_LIMIT,
      onRequest: authorize,
      preHandler: serving<TransferRequest>((body) => [body.from, body.to]),
      schema: {
        tags: ['wallets'],
        summary: 'Moves an amount of one asset from one user to another, both sides or neither',
        description:
          'Needs wallets:write for both users. Rejected (insufficient_funds) when the sender’s available balance is short, ' +
          '(balance_limit_exceeded) when the receiver would pass the asset’s maxBalance. ' +
          `${WAIT_DESCRIPTION} The balances answered are the sender's.`,
        security: writeSecurity,
        querystring: transactionQuery,
        body: transferBody,
        response: waitedWriteResponses,
      },
    },
    async (request, reply) => {
      refuseIfAny(transferProblems(assets, request.body));
      const command = toTransferCommand(request.body, assets, deps.clock());
      return writing.answer(command, request.query.wait, reply, TRANSFER_FIELDS);
    },
  );

  app.post<{ Body: GroupRequest } & Wait>(
    '/v1/wallets/groups',
    {
      bodyLimit: GROUP_BODY_LIMIT,
      onRequest: authorize,
      preHandler: serving<GroupRequest>(groupUsers),
      schema: {
        tags: ['wallets'],
        summary: 'Applies up to 100 credits, debits and transfers together: all of them, or none',
        description:
          'A linked group, one write named by its (source, seq): the ledger applies its members in order, and if any is rejected none is applied ' +
          '(the answer names the failing member, `member`, with its reason). Needs wallets:write for every user it names. ' +
          `${WAIT_DESCRIPTION} The balances answered are the first member's user's, of that member's asset.`,
        security: writeSecurity,
        querystring: transactionQuery,
        body: groupBody,
        response: waitedWriteResponses,
      },
    },
    async (request, reply) => {
      refuseIfAny(groupProblems(assets, request.body));
      const command = toGroupCommand(request.body, assets, deps.clock());
      return writing.answer(command, request.query.wait, reply, GROUP_FIELDS);
    },
  );

  // batches answer 202 once Kafka acknowledged them: a thousand outcomes are read one by one, not waited for here
  batchRoute<BatchTransactionItem, WalletCommand>(app, deps, {
    url: '/v1/wallets/transactions/batch',
    tag: 'wallets',
    items: 'credits and debits of any users',
    description:
      'Each item is the body of POST /v1/wallets/{userId}/transactions with its `userId`; no ?wait: read each outcome by its id.',
    scope: 'wallets:write',
    item: transactionBatchItem,
    names: { kind: 'users', ids: (item) => [item.userId] },
    problems: (item, where) => amountProblems(assets, item, where),
    accept: (item, receivedAtMs) => {
      const command = toTransactionCommand(item.userId, item, assets, receivedAtMs);
      return { value: command, answer: { id: walletWriteId(command) } };
    },
    write: writing.produce,
  });

  batchRoute<TransferRequest, WalletCommand>(app, deps, {
    url: '/v1/transfers/batch',
    tag: 'wallets',
    items: 'transfers between any users',
    description:
      'Each item is the body of POST /v1/transfers; no ?wait: read each outcome by its id. Needs wallets:write for every user the items name.',
    scope: 'wallets:write',
    item: transferBody,
    names: { kind: 'users', ids: (item) => [item.from, item.to] },
    problems: (item, where) => transferProblems(assets, item, where),
    accept: (item, receivedAtMs) => {
      const command = toTransferCommand(item, assets, receivedAtMs);
      return { value: command, answer: { id: walletWriteId(command) } };
    },
    write: writing.produce,
  });
};
