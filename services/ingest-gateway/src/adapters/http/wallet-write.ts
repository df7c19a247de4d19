import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AssetCatalogue } from '@tally/money';
import type { WalletCommand, WalletOutcome } from '@tally/schemas';
import type { OutgoingRecord } from '@tally/streaming';
import { invalidFields, type ErrorDetail } from '../../domain/api-error.js';
import { walletWriteId } from '../../domain/wallet.js';
import { idReusedAnswer, toWalletDecision, type ConflictFields } from '../../domain/wallet-outcome.js';
import type { RecordWriter } from '../../ports/record-writer.js';
import type { OutcomeWaiters } from '../kafka/outcome-waiters.js';
import { acknowledgedWrite, withWriteDeadline } from './acknowledged-write.js';
import { HttpProblem } from './problems.js';

/** What every family of wallet writes is given. */
export interface WalletWriteDeps {
  walletCommands: RecordWriter<WalletCommand>;
  /** Where the outcomes read from Kafka are handed to the requests waiting for them (`?wait=true`). */
  walletOutcomes: OutcomeWaiters<WalletOutcome>;
  /** ASSETS: the assets the ledger counts, each with its scale and limits. */
  assets: AssetCatalogue;
  /** WRITE_DEADLINE_MS: how long a write may take, its acknowledgement and (`?wait=true`) its outcome together. */
  writeDeadlineMs: number;
}

export interface WalletWriting {
  /** Produces the commands by a deadline already running (a batch's): 503 unless Kafka acknowledged every one. */
  produce(commands: WalletCommand[], deadline: AbortSignal): Promise<void>;
  /** Produces the commands and answers nothing: 503 unless Kafka acknowledged every one by the deadline. */
  write(commands: WalletCommand[]): Promise<void>;
  /**
   * Produces one command and answers it: 202 {id}; with `wait`, what the ledger made of it for the command's key
   * user (200), 409 id_reused when the id was already used for another write (`fields` say where each differing
   * field is in the request), or 202 pending when the ledger has not decided by the deadline.
   */
  answer(command: WalletCommand, wait: boolean, reply: FastifyReply, fields: ConflictFields): Promise<FastifyReply>;
}

/** A command is keyed by its user (a transfer's sender, a group's first member): one user's writes stay in order. */
const asRecord = (command: WalletCommand): OutgoingRecord<WalletCommand> => ({ key: command.userId, value: command });

/** Problems found past the schema are refused like schema violations: 400 before anything is produced. */
export function refuseIfAny(problems: readonly ErrorDetail[]): void {
  if (problems.length > 0) throw new HttpProblem(400, invalidFields(problems));
}

/** The write path every wallet write shares: produce under the one deadline and, with `?wait=true`, hear the outcome. */
export function walletWriting(app: FastifyInstance, deps: WalletWriteDeps): WalletWriting {
  const produceRecords = acknowledgedWrite(app.log, deps.walletCommands, 'wallet commands');
  const produce = (commands: WalletCommand[], deadline: AbortSignal) =>
    produceRecords(commands.map(asRecord), deadline);
  const write = (commands: WalletCommand[]) =>
    withWriteDeadline(deps.writeDeadlineMs, (deadline) => produce(commands, deadline));
  // a request still waiting when the gateway shuts down answers "pending" at once instead of holding the close:
  // preClose, not onClose, since the server waits for requests in flight before onClose runs
  app.addHook('preClose', async () => deps.walletOutcomes.close());

  /** Produces the command and waits for what the ledger made of it, both by one deadline: the outcome, or undefined. */
  const produceAndWait = (command: WalletCommand, id: string) =>
    withWriteDeadline(deps.writeDeadlineMs, async (deadline) => {
      // registered before producing: the ledger may answer before our acknowledgement comes back
      const expected = deps.walletOutcomes.expect(command.userId, id);
      try {
        await produce([command], deadline);
      } catch (error) {
        expected.cancel();
        throw error;
      }
      return expected.until(deadline);
    });

  const answer: WalletWriting['answer'] = async (command, wait, reply, fields) => {
    const id = walletWriteId(command);
    if (!wait) {
      await write([command]);
      return reply.code(202).send({ id });
    }
    const outcome = await produceAndWait(command, id);
    if (!outcome) return reply.code(202).send({ id, status: 'pending' });
    if (outcome.conflict) return reply.code(409).send(idReusedAnswer(outcome, fields));
    return reply.code(200).send(toWalletDecision(outcome, deps.assets));
  };
  return { produce, write, answer };
}
