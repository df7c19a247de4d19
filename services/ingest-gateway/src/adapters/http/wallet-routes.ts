import type { FastifyPluginAsync } from 'fastify';
import type { OutgoingRecord } from '@tally/streaming';
import type { WalletCommand, WalletOutcome } from '@tally/schemas';
import type { ApiKeyring } from '../../domain/api-keys.js';
import {
  toGrantCommands,
  toTransactionCommand,
  toTransactionOutcome,
  walletWriteId,
  type GrantRequest,
  type TransactionRequest,
} from '../../domain/wallet.js';
import type { RecordWriter } from '../../ports/record-writer.js';
import type { OutcomeWaiters } from '../kafka/outcome-waiters.js';
import { acknowledgedWrite, withWriteDeadline } from './acknowledged-write.js';
import { pathUser, requireScope, requireServed } from './auth.js';
import { WRITE_BODY_LIMIT, noQuery, writeErrors, writeSecurity } from './schemas.js';
import {
  GRANT_BODY_LIMIT,
  grantAccepted,
  grantBody,
  transactionAccepted,
  transactionBody,
  transactionDecided,
  transactionQuery,
  walletParams,
} from './wallet-schemas.js';

export interface WalletRouteOptions {
  keyring: ApiKeyring;
  walletCommands: RecordWriter<WalletCommand>;
  /** Where the outcomes read from Kafka are handed to the requests waiting for them (`?wait=true`). */
  walletOutcomes: OutcomeWaiters<WalletOutcome>;
  /** WRITE_DEADLINE_MS: how long a write may take, its acknowledgement and (`?wait=true`) its outcome together. */
  writeDeadlineMs: number;
  clock: () => number;
}

const asRecord = (command: WalletCommand): OutgoingRecord<WalletCommand> => ({ key: command.userId, value: command });

/**
 * The wallet writes: each user's credit or debit is one WalletCommand keyed by userId, so one user's commands
 * apply in order on one partition. A 202 means Kafka acknowledged every record of the write.
 */
export const walletRoutes: FastifyPluginAsync<WalletRouteOptions> = async (app, deps) => {
  const authorize = requireScope(deps.keyring, 'wallets:write');
  const authorizeUser = requireScope(deps.keyring, 'wallets:write', pathUser);
  // a key limited to some users may grant only to them: checked on the validated body
  const authorizeGrantees = requireServed<GrantRequest>(deps.keyring, 'wallets:write', (body) => ({
    kind: 'users',
    ids: body.userIds,
  }));
  const produce = acknowledgedWrite(app.log, deps.walletCommands, 'wallet commands');
  const write = (records: OutgoingRecord<WalletCommand>[]) =>
    withWriteDeadline(deps.writeDeadlineMs, (deadline) => produce(records, deadline));
  // a request still waiting when the gateway shuts down answers "pending" at once instead of holding the close:
  // preClose, not onClose, since the server waits for requests in flight before onClose runs
  app.addHook('preClose', async () => deps.walletOutcomes.close());

  /** Produces the command and waits for what the ledger made of it, both by one deadline: the outcome, or undefined. */
  const produceAndWait = (command: WalletCommand, id: string) =>
    withWriteDeadline(deps.writeDeadlineMs, async (deadline) => {
      // registered before producing: the ledger may answer before our acknowledgement comes back
      const expected = deps.walletOutcomes.expect(command.userId, id);
      try {
        await produce([asRecord(command)], deadline);
      } catch (error) {
        expected.cancel();
        throw error;
      }
      return expected.until(deadline);
    });

  app.post<{ Params: { userId: string }; Querystring: { wait: boolean }; Body: TransactionRequest }>(
    '/v1/wallets/:userId/transactions',
    {
      bodyLimit: WRITE_BODY_LIMIT,
      onRequest: authorizeUser,
      schema: {
        tags: ['wallets'],
        summary:
          "Credits or debits one user's balance of one asset; with ?wait=true, answers what the ledger made of it",
        description:
          'Answers 202 {id} once Kafka acknowledged the command. With ?wait=true it also waits for the outcome, by the same deadline (WRITE_DEADLINE_MS): ' +
          '200 {id, status: applied|rejected, balance, reason?}, or 202 {id, status: pending} when the ledger has not decided in time.',
        security: writeSecurity,
        params: walletParams,
        querystring: transactionQuery,
        body: transactionBody,
        response: { 200: transactionDecided, 202: transactionAccepted, ...writeErrors },
      },
    },
    async (request, reply) => {
      const command = toTransactionCommand(request.params.userId, request.body, deps.clock());
      const id = walletWriteId(command);
      if (!request.query.wait) {
        await write([asRecord(command)]);
        return reply.code(202).send({ id });
      }
      const outcome = await produceAndWait(command, id);
      return outcome
        ? reply.code(200).send(toTransactionOutcome(outcome))
        : reply.code(202).send({ id, status: 'pending' });
    },
  );

  app.post<{ Body: GrantRequest }>(
    '/v1/wallets/grants',
    {
      bodyLimit: GRANT_BODY_LIMIT,
      onRequest: authorize,
      preHandler: authorizeGrantees,
      schema: {
        tags: ['wallets'],
        summary: 'Credits the same amount to up to 1000 users at once, e.g. every member of a chat',
        description:
          "One credit per user, each named by the grant's (source, seq) and its user, so every member gets exactly one history entry. " +
          'Answers 202 {id, users} only once Kafka acknowledged every credit; on 503, retry the whole grant as is.',
        security: writeSecurity,
        querystring: noQuery,
        body: grantBody,
        response: { 202: grantAccepted, ...writeErrors },
      },
    },
    async (request, reply) => {
      const commands = toGrantCommands(request.body, deps.clock());
      await write(commands.map(asRecord));
      return reply.code(202).send({ id: walletWriteId(request.body), users: commands.length });
    },
  );
};
