/**
 * A backfill by replay, as an operator does it: the CLI refuses while the service runs, moves the stopped
 * service's group back to the earliest record, and follows the restarted service with a progress bar until it
 * has caught up. Every balance is what it was: the ledger recognises every command it already applied.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSchemaRegistry, topicCodec, type WalletCommand, walletCommand } from '@tally/schemas';
import { createPool } from '@tally/storage';
import { TypedProducer, createKafka } from '@tally/streaming';
import {
  createTopicsWithSchemas,
  freePort,
  quietLogger,
  stackEnvironment,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@tally/testkit';
import { TOPICS } from '@tally/contracts';
import { tally as runCli } from './fixtures/cli.js';
import { groupCaughtUp } from './fixtures/gateway.js';

const stack = inject('stack');
const run = uniqueName('e2e-replay');
const group = `${run}-ledger`;
const schema = run.replace(/[^a-z0-9]/g, '_');
const topics = {
  commands: `test.${run}.wallet-commands`,
  outcomes: `test.${run}.wallet-outcomes`,
  deadLetters: `test.${run}.dead-letters`,
};
const pool = createPool(stack.databaseUrl);
let ledgerPort: number;
const running: ServiceProcess[] = [];

const startLedger = async () => {
  const service = await startServiceProcess('wallet-ledger', {
    ...stackEnvironment(stack),
    PORT: String(ledgerPort),
    CONSUMER_GROUP: group,
    WALLET_COMMANDS_TOPIC: topics.commands,
    WALLET_OUTCOMES_TOPIC: topics.outcomes,
    DLQ_TOPIC: topics.deadLetters,
    DB_SCHEMA: schema,
  });
  running.push(service);
  return service;
};

const tally = (...args: string[]) => runCli({ KAFKA_BROKERS: stack.brokers.join(',') }, ...args);

const balances = async () =>
  (await pool.query(`SELECT user_id, asset, balance_minor FROM ${schema}.balances ORDER BY user_id, asset`)).rows.map(
    (r) => `${r.user_id}/${r.asset}=${r.balance_minor}`,
  );
const entries = async () =>
  (await pool.query(`SELECT count(*)::int AS n FROM ${schema}.ledger_entries`)).rows[0].n as number;

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.commands, partitions: 4, schema: TOPICS.walletCommands.valueSchema },
    { name: topics.outcomes, partitions: 2, schema: TOPICS.walletOutcomes.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  ]);
  const producer = new TypedProducer(createKafka({ brokers: stack.brokers, clientId: run, logger: quietLogger() }), {
    lingerMs: 2,
  });
  await producer.connect();
  const codec = topicCodec(createSchemaRegistry(stack.registryUrl), topics.commands, TOPICS.walletCommands.valueSchema);
  const commands: WalletCommand[] = Array.from({ length: 3000 }, (_, i) =>
    walletCommand({
      source: 'replay-test',
      seq: i,
      userId: `player-${i % 50}`,
      type: i % 5 === 4 ? 'DEBIT' : 'CREDIT',
      asset: 'coins',
      amountMinor: 100 + (i % 7) * 25,
      receivedAtMs: Date.now(),
    }),
  );
  await producer.sendAll(
    codec,
    commands.map((value) => ({ key: value.userId, value })),
  );
  await producer.disconnect();
  ledgerPort = await freePort();
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop('SIGTERM')));
  await pool.end();
});

describe('tally replay', () => {
  it('refuses while the service runs, moves the stopped group back, shows progress, and changes no balance', async () => {
    const ledger = await startLedger();
    expect(await groupCaughtUp(stack.brokers, group, topics.commands)).toBe(true);
    const before = { balances: await balances(), entries: await entries() };
    expect(before.entries).toBe(3000);

    const refused = await tally('replay', 'reset', '--group', group, '--topics', topics.commands);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/running member\(s\).*stop the service first/);

    await ledger.stop('SIGTERM');
    const reset = await tally('replay', 'reset', '--group', group, '--topics', topics.commands, '--from', 'earliest');
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain(`moved group ${group} back on 1 topic(s): 3000 records to reprocess`);

    const watching = tally('replay', 'watch', '--group', group, '--topics', topics.commands);
    await startLedger();
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    // the progress bar goes to stderr (a line every 2 s when not on a terminal), the summary to stdout
    expect(watched.stderr).toMatch(/\[[=-]+\] \d+% \d+\/\d+ records \| \d+\/s/);
    expect(watched.stderr).toMatch(/\[=+\] 100% (\d+)\/\1 records/);
    // counted from the watch's first look, which may come after the service's first batch
    const replayed = Number(/replayed (\d+) records on .* group .* has caught up/.exec(watched.stdout)?.[1]);
    expect(replayed).toBeGreaterThan(0);
    expect(replayed).toBeLessThanOrEqual(3000);

    expect(await balances()).toEqual(before.balances);
    expect(await entries()).toBe(before.entries);
  });
});
