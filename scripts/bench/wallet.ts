/**
 * Wallet benchmark on this machine (not a test: it prints numbers). wallet-ledger and ingest-gateway as their own
 * processes on per-run topics, consumer group and schema; one after another:
 *   1. events/s: the ledger drains a backlog of credits and debits over many users (some overdraw, ~10% are a
 *      repeat of the same (source, seq)), produced straight to its topic; from its first processed record to lag 0;
 *   2. reads: p50/p99 of each GET route through the gateway, at a fixed concurrency, on that ledger;
 *   3. POST → visible: a credit through the gateway until it is the newest entry of GET .../transactions, idle and
 *      then under background load at half the rate of 1 (grants to many users through the gateway, as seed 004's
 *      chat rewards: one request credits many wallets, which a single-transaction route could not keep up with);
 *   4. the naive way: a history row per command and a SUM over them per balance read (seed 004's history table).
 * Usage: node --import tsx scripts/bench/wallet.ts [--quick] [--commands 200000] [--probes 200] [--reads 3000] [--concurrency 4]
 * (--quick: 30,000 commands, 40 probes, 500 reads per route; a size given explicitly wins)
 */
import type { WalletCommand } from '@tally/schemas';
import { createPool } from '@tally/storage';
import type { OutgoingRecord } from '@tally/streaming';
import type { TestStack } from '@tally/testkit';
import { TOPICS, formatWriteKey } from '@tally/contracts';
import { toTransactionCommand } from '@tally/ingest-gateway';
import * as bench from './lib.js';

const {
  commands: COMMANDS,
  probes: PROBES,
  reads: READS,
  concurrency: CONCURRENCY,
} = bench.benchSizes(
  { commands: 200_000, probes: 200, reads: 3000, concurrency: 4 },
  { commands: 30_000, probes: 40, reads: 500, concurrency: 4 },
);
const run = `bench_wallet_${Date.now().toString(36)}`;
const topics = {
  commands: `bench.${run}.wallet-commands`,
  outcomes: `bench.${run}.wallet-outcomes`,
  deadLetters: `bench.${run}.dead-letters`,
};
const group = `${run}-ledger`;
const naiveSchema = `naive_${run}`;
const apiKey = {
  key: 'bench-wallet-key-0123456789abcdef',
  name: 'bench-wallet',
  scopes: ['wallets:write', 'wallets:read'],
};
const out = bench.benchResults({
  run,
  commands: COMMANDS,
  probes: PROBES,
  'reads per route': READS,
  'read concurrency': CONCURRENCY,
});

interface Backlog {
  records: OutgoingRecord<WalletCommand>[];
  users: string[];
  transactions: { userId: string; id: string }[];
}

/**
 * Credits (60%, quest rewards) and debits (purchases, some overdrawing a wallet) of two assets, about 20 commands
 * per user, so users have a history and most debits find a balance.
 */
function walletBacklog(size: number): Backlog {
  const users = Math.max(100, Math.round(size / 20));
  const records: OutgoingRecord<WalletCommand>[] = [];
  const transactions: Backlog['transactions'] = [];
  const now = Date.now();
  for (let seq = 0; records.length < size; seq++) {
    const userId = `user-${Math.floor(Math.random() * users)}`;
    const credit = Math.random() < 0.6;
    const amount = credit ? `${1 + Math.floor(Math.random() * 20)}.00` : `${1 + Math.floor(Math.random() * 10)}.50`;
    const command = toTransactionCommand(
      userId,
      {
        source: 'bench-shop',
        seq,
        type: credit ? 'credit' : 'debit',
        asset: Math.random() < 0.8 ? 'coins' : 'gems',
        amount,
      },
      now,
    );
    records.push({ key: userId, value: command });
    transactions.push({ userId, id: formatWriteKey({ source: 'bench-shop', seq }) });
    // a client that did not hear the answer sends the same (source, seq) again
    if (Math.random() < 0.1 && records.length < size) records.push({ key: userId, value: command });
  }
  return { records, users: [...new Set(transactions.map((t) => t.userId))], transactions };
}

async function ledgerMix(databaseUrl: string) {
  const pool = createPool(databaseUrl);
  const { rows } = await pool.query(
    `SELECT count(*) FILTER (WHERE status = 'applied')::int AS applied, count(*) FILTER (WHERE rejection = 'insufficient_funds')::int AS refused FROM ${run}.ledger_entries`,
  );
  await pool.end();
  out.note('wallet-ledger: entries applied / rejected insufficient_funds', `${rows[0].applied} / ${rows[0].refused}`);
}

function measureReads(clients: { gateway: bench.HttpClient; service: bench.HttpClient }, backlog: Backlog) {
  const routes: [string, () => string][] = [
    ['GET /v1/wallets/{userId}', () => `/v1/wallets/${bench.pick(backlog.users)}`],
    ['GET /v1/wallets/{userId}/transactions', () => `/v1/wallets/${bench.pick(backlog.users)}/transactions`],
    [
      'GET /v1/wallets/{userId}/transactions/{id}',
      () => {
        const t = bench.pick(backlog.transactions);
        return `/v1/wallets/${t.userId}/transactions/${t.id}`;
      },
    ],
  ];
  return bench.measureReadRoutes(out.note, { ...clients, serviceName: 'wallet-ledger' }, routes, READS, CONCURRENCY);
}

let probeSeq = 0;
/** A credit through the gateway, until the ledger shows it as the user's newest entry through the gateway. */
function probeCredits(gateway: bench.HttpClient, label: string) {
  return bench.writeToVisible(
    PROBES,
    async (i) => {
      const userId = `probe-${label}-${i % 50}`;
      const seq = probeSeq++;
      bench.expectStatus(
        await gateway.send('POST', `/v1/wallets/${userId}/transactions`, {
          source: 'bench-probe',
          seq,
          type: 'credit',
          asset: 'coins',
          amount: '1.00',
        }),
        202,
        'probe POST',
      );
      return { userId, id: formatWriteKey({ source: 'bench-probe', seq }) };
    },
    async ({ userId, id }) => {
      const reply = await gateway.get(`/v1/wallets/${userId}/transactions?limit=1`);
      return (
        reply.status === 200 &&
        (JSON.parse(reply.body) as { transactions: { id: string }[] }).transactions[0]?.id === id
      );
    },
  );
}

/** Grants of the tick's share of users (0.10 coins each); the count of credits Kafka acknowledged. */
function grantLoad(gateway: bench.HttpClient, users: string[]) {
  let seq = 0;
  let next = 0;
  return async (count: number) => {
    const userIds = Array.from({ length: Math.min(count, 1000) }, () => users[next++ % users.length]!);
    const reply = await gateway.send('POST', '/v1/wallets/grants', {
      source: 'bench-grants',
      seq: seq++,
      asset: 'coins',
      amount: '0.10',
      userIds,
    });
    return reply.status === 202 ? userIds.length : 0;
  };
}

/** Seed 004's history table: a row per command, and a balance as the SUM of a user's rows per read. */
async function measureNaive(databaseUrl: string, backlog: Backlog, ourBalanceP99: number) {
  const pool = createPool(databaseUrl, CONCURRENCY + 1);
  await pool.query(`CREATE SCHEMA ${naiveSchema}`);
  await pool.query(
    `CREATE TABLE ${naiveSchema}.wallet_history (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id text NOT NULL, asset text NOT NULL, change_minor bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
  );
  await pool.query(`CREATE INDEX ON ${naiveSchema}.wallet_history (user_id)`);
  const rows = backlog.records.map(({ value: c }) => [
    c.userId,
    c.asset,
    String(c.type === 'CREDIT' ? c.amountMinor : -c.amountMinor),
  ]);
  for (let i = 0; i < rows.length; i += 10_000) {
    const page = rows.slice(i, i + 10_000);
    await pool.query(
      `INSERT INTO ${naiveSchema}.wallet_history (user_id, asset, change_minor) SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])`,
      [0, 1, 2].map((k) => page.map((r) => r[k])),
    );
  }
  await pool.query(`ANALYZE ${naiveSchema}.wallet_history`);
  out.note('naive: history rows', rows.length);

  const insert = (i: number) => {
    const [userId, asset, change] = rows[i % rows.length]!;
    return pool.query(`INSERT INTO ${naiveSchema}.wallet_history (user_id, asset, change_minor) VALUES ($1, $2, $3)`, [
      userId,
      asset,
      change,
    ]);
  };
  out.note('naive writes: one INSERT per event, events/s', Math.round(await bench.sequentialRate(5, insert)));
  const sum = async () =>
    void (await pool.query(
      `SELECT asset, sum(change_minor) FROM ${naiveSchema}.wallet_history WHERE user_id = $1 GROUP BY asset`,
      [bench.pick(backlog.users)],
    ));
  const { latencies } = await bench.timeConcurrent(READS, CONCURRENCY, sum);
  out.note('naive SUM over the user’s history rows per balance read: p50 / p99 ms', bench.p50p99(latencies, 2));
  out.note(
    'GET /v1/wallets/{userId} p99 ÷ naive SUM p99',
    +(ourBalanceP99 / bench.percentile(latencies, 99)).toFixed(3),
  );
  await pool.end();
}

async function measure(stack: TestStack, services: bench.BenchServices, kafka: bench.Kafka) {
  const backlog = walletBacklog(COMMANDS);
  const drained = await bench.drainReported(
    out.note,
    stack,
    services,
    { topic: topics.commands, schema: TOPICS.walletCommands.valueSchema, records: backlog.records, unit: 'commands' },
    {
      name: 'wallet-ledger',
      group,
      env: {
        WALLET_COMMANDS_TOPIC: topics.commands,
        WALLET_OUTCOMES_TOPIC: topics.outcomes,
        DLQ_TOPIC: topics.deadLetters,
        DB_SCHEMA: run,
      },
    },
  );
  await ledgerMix(stack.databaseUrl);

  const { gateway, service, close } = await bench.gatewayInFront(services, apiKey, drained.service.url, {
    WALLET_COMMANDS_TOPIC: topics.commands,
    WALLET_OUTCOMES_TOPIC: topics.outcomes,
    WALLET_LEDGER_URL: drained.service.url,
  });
  try {
    const readP99s = await measureReads({ gateway, service }, backlog);
    await bench.measureWriteToVisible(out.note, (label) => probeCredits(gateway, label), {
      halfRate: Math.round(drained.eventsPerSecond / 2),
      send: grantLoad(gateway, backlog.users),
      maxInFlight: 64,
      what: 'grants, credits',
      caughtUp: () => bench.waitForDrain(kafka, group, [topics.commands]),
      serviceUrl: drained.service.url,
    });
    await measureNaive(stack.databaseUrl, backlog, readP99s.get('GET /v1/wallets/{userId}')!);
  } finally {
    close();
  }
}

void bench.runBench({
  title: `wallet benchmark ${run}`,
  topics: [
    { name: topics.commands, partitions: 12, schema: TOPICS.walletCommands.valueSchema },
    { name: topics.outcomes, partitions: 12, schema: TOPICS.walletOutcomes.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
  ],
  created: { groups: [group], schemas: [run, naiveSchema] },
  printJson: out.printJson,
  measure,
});
