/**
 * Wallet benchmark on this machine (not a test: it prints numbers). wallet-ledger and ingest-gateway as their own
 * processes on per-run topics, consumer group and schema; one after another:
 *   1. events/s: the ledger drains a backlog of credits and debits over many users (some overdraw, ~10% are a
 *      repeat of the same (source, seq)), produced straight to its topic; from its first processed record to lag 0;
 *  1b. transfers/s, uncontended: as 1, a backlog of transfers between disjoint pairs of users, two per sender;
 *  1c. transfers/s, contended: the same transfers, but every one pays one of 4 hot receivers (creators), so every
 *      batch of every partition locks the same rows and the partitions' transactions wait on each other;
 *  1d. holds: holds placed then captured (half whole, paying a merchant; half partly, paying nobody), as commands/s
 *      of that backlog; then a tenth as many holds all due at one deadline, and how soon the ledger's expiry loop
 *      (grace 0) has released them all.
 *      Each of 1b-1d runs on a ledger schema, topic and group of its own; its senders and holders are funded by
 *      credits first, drained by a ledger process that is then stopped (not timed); the timed backlog is drained
 *      by a fresh process, as in 1. Each is printed beside 1's commands/s (the ratio), and after each of 1-1d
 *      verifyLedger checks every invariant of that ledger (any violation fails the run);
 *  1e. the naive peer (scripts/bench/wallet-peer.ts): what a user would otherwise write, one Postgres transaction
 *      per command from a single kafkajs consumer, drains 1's very backlog on a group of its own, timed as 1 is and
 *      printed beside it; then users with 10 to 10,000 entries each are credited and debited through both, and
 *      every balance of the peer is checked against the ledger's (any mismatch fails the run);
 *  1f. balance reads by history size: GET /v1/wallets/{userId} straight from wallet-ledger (one primary-key read
 *      of the balance rows) against the peer's GET of the same path (seed 004's SUM over the user's entries), both
 *      over HTTP from the same client to the same kind of server (@tally/observability's Fastify ops server) in a
 *      process of their own; then each side's one query alone, as SQL from this process, so the database's share
 *      shows apart from the HTTP around it. At each size the two sides' reads alternate, in rounds;
 *   2. reads: p50/p99 of each GET route through the gateway, at a fixed concurrency, on that ledger;
 *   3. POST → visible: a credit through the gateway until it is the newest entry of GET .../transactions, idle and
 *      then under background load at half the rate of 1 (grants to many users through the gateway, as seed 004's
 *      chat rewards: one request credits many wallets, which a single-transaction route could not keep up with).
 * Usage: node --import tsx scripts/bench/wallet.ts [--quick] [--commands 200000] [--transfers 200000] [--probes 200]
 *          [--reads 3000] [--concurrency 4] [--histories 2]
 * (--transfers: N of 1b and 1c; 1d places N/2 holds and captures them, then N/10 expiring holds. --histories: users
 * of each history size in 1f. --quick: 30,000 commands and transfers, 40 probes, 500 reads per route, 1 user per
 * history size; a size given explicitly wins)
 */
import {
  createSchemaRegistry,
  topicCodec,
  walletCommand,
  type WalletCommand,
  type WalletCommandType,
} from '@tally/schemas';
import { createPool, type Pool } from '@tally/storage';
import { TypedProducer, type OutgoingRecord } from '@tally/streaming';
import type { ServiceProcess, TestStack } from '@tally/testkit';
import { TOPICS, formatWriteKey } from '@tally/contracts';
import { AssetCatalogue, DEFAULT_ASSETS } from '@tally/money';
import { toTransactionCommand } from '@tally/ingest-gateway';
import { verifyLedger } from '@tally/wallet-ledger';
import * as bench from './lib.js';
import { naiveBalanceSql, startNaivePeer, type NaivePeer } from './wallet-peer.js';

const {
  commands: COMMANDS,
  transfers: TRANSFERS,
  probes: PROBES,
  reads: READS,
  concurrency: CONCURRENCY,
  histories: HISTORIES,
} = bench.benchSizes(
  { commands: 200_000, transfers: 200_000, probes: 200, reads: 3000, concurrency: 4, histories: 2 },
  { commands: 30_000, transfers: 30_000, probes: 40, reads: 500, concurrency: 4, histories: 1 },
);
const run = `bench_wallet_${Date.now().toString(36)}`;
const topics = {
  commands: `bench.${run}.wallet-commands`,
  outcomes: `bench.${run}.wallet-outcomes`,
  deadLetters: `bench.${run}.dead-letters`,
};
const group = `${run}-ledger`;
/** 1e's naive peer: a consumer group and tables of its own, on 1's topic. */
const peer = { group: `${run}-peer`, schema: `${run}_peer` };
/** 1f's history sizes: the balance read is timed for users (HISTORIES of each size) with this many entries each. */
const HISTORY_SIZES = [10, 100, 1000, 10_000];
/** The one query behind the ledger's GET /v1/wallets/{userId} (LedgerStore.accountsOf), for 1f's SQL-only view. */
const BALANCE_ROWS_SQL = `SELECT asset, balance_minor, held_minor FROM ${run}.balances WHERE user_id = $1 ORDER BY asset`;
const apiKey = {
  key: 'bench-wallet-key-0123456789abcdef',
  name: 'bench-wallet',
  scopes: ['wallets:write', 'wallets:read'],
};
/** Phases 1b-1d, each on a topic, consumer group and ledger schema of its own (see paymentPhase). */
const PAYMENT_PHASES = ['uncontended', 'contended', 'holds'] as const;
type PaymentPhase = (typeof PAYMENT_PHASES)[number];
const paymentPhase = (phase: PaymentPhase) => ({
  topic: `bench.${run}.wallet-${phase}`,
  group: `${run}-${phase}`,
  schema: `${run}_${phase}`,
});
/** The gateway's default asset catalogue, which the ledger counts too (ASSETS unset in both). */
const assets = AssetCatalogue.parse(DEFAULT_ASSETS);
const ASSET = 'coins';
/** Every sender and holder of 1b-1d is credited this much first: more than all it then sends or holds. */
const FUNDING_MINOR = 100_00;
/** 1c's hot receivers: every transfer pays one of them. */
const HOT_RECEIVERS = 4;
/** The captured holds of 1d are placed for an hour, so none expires before its capture. */
const CAPTURED_HOLD_TIMEOUT_MS = 3_600_000;
/** 1d's expiry loop: grace 0, and a short tick, so the time measured is the expiry's, not the tick's wait. */
const EXPIRY_ENV = { HOLD_EXPIRY_GRACE_MS: '0', HOLD_EXPIRY_TICK_MS: '100' };
const out = bench.benchResults({
  run,
  commands: COMMANDS,
  transfers: TRANSFERS,
  probes: PROBES,
  'reads per route': READS,
  'read concurrency': CONCURRENCY,
  'users per history size': HISTORIES,
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
      assets,
      now,
    );
    records.push({ key: userId, value: command });
    transactions.push({ userId, id: formatWriteKey({ source: 'bench-shop', seq }) });
    // a client that did not hear the answer sends the same (source, seq) again
    if (Math.random() < 0.1 && records.length < size) records.push({ key: userId, value: command });
  }
  return { records, users: [...new Set(transactions.map((t) => t.userId))], transactions };
}

async function ledgerMix(pool: Pool) {
  const { rows } = await pool.query(
    `SELECT count(*) FILTER (WHERE status = 'applied')::int AS applied, count(*) FILTER (WHERE rejection = 'insufficient_funds')::int AS refused FROM ${run}.ledger_entries`,
  );
  out.note('wallet-ledger: entries applied / rejected insufficient_funds', `${rows[0].applied} / ${rows[0].refused}`);
}

/**
 * Fails the run, loudly, unless every invariant of the ledger in `schema` holds (verifyLedger's full scans): a
 * rate measured on a ledger that broke one is not a rate of the ledger.
 */
async function verified(pool: Pool, schema: string, after: string) {
  const violations = await verifyLedger(pool, schema);
  out.note(`ledger verify after ${after}`, `${violations.length} violations`);
  if (violations.length > 0)
    throw new Error(
      `ledger verify: ${violations.length} violations in ${schema} after ${after}:\n${violations
        .map((v) => `  ${v.invariant}: ${v.detail}`)
        .join('\n')}`,
    );
}

/** A command as the gateway writes it, each optional field empty: each kind of write fills in its own. */
function benchCommand(
  source: string,
  seq: number,
  userId: string,
  type: WalletCommandType,
  fields: Partial<WalletCommand>,
): WalletCommand {
  return walletCommand({
    source,
    seq,
    userId,
    type,
    asset: ASSET,
    amountMinor: 0,
    receivedAtMs: Date.now(),
    ...fields,
  });
}

/**
 * 1.00 to 19.99 in minor units, spread by the write's seq, so 1b and 1c move the very same amounts; a sender's or
 * holder's two together stay below FUNDING_MINOR.
 */
const paymentAmount = (seq: number) => 100 + ((seq * 7919) % 1900);

/** One credit of FUNDING_MINOR per user, the untimed start of a payment phase. */
const funding = (userIds: string[]) =>
  userIds.map((userId, seq) => benchCommand('bench-funding', seq, userId, 'CREDIT', { amountMinor: FUNDING_MINOR }));

interface PaymentBacklog {
  funding: WalletCommand[];
  timed: WalletCommand[];
}

/** `size` transfers, two per sender (size/2 senders), each to `receiverOf(sender)`; the senders funded first. */
function transferBacklog(size: number, receiverOf: (sender: number) => string): PaymentBacklog {
  const senders = Math.max(1, Math.round(size / 2));
  const timed = Array.from({ length: size }, (_, seq) =>
    benchCommand('bench-transfers', seq, `payer-${seq % senders}`, 'TRANSFER', {
      amountMinor: paymentAmount(seq),
      to: receiverOf(seq % senders),
    }),
  );
  return { funding: funding(Array.from({ length: senders }, (_, i) => `payer-${i}`)), timed };
}

/**
 * size/2 holds, two per holder, then a capture of each: the even ones name a merchant of their own and are
 * captured whole (amount 0), the odd ones pay nobody and are captured for half their amount (the rest released).
 * The users of the expiring holds that follow the drain are funded here too.
 */
function holdBacklog(size: number, expiringUsers: string[]): PaymentBacklog {
  const holds = Math.max(1, Math.floor(size / 2));
  const holders = Math.max(1, Math.round(holds / 2));
  const placed = Array.from({ length: holds }, (_, seq) =>
    benchCommand('bench-holds', seq, `holder-${seq % holders}`, 'HOLD', {
      amountMinor: paymentAmount(seq),
      timeoutMs: CAPTURED_HOLD_TIMEOUT_MS,
      to: seq % 2 === 0 ? `merchant-${seq}` : null,
    }),
  );
  const captures = placed.map((hold, seq) =>
    benchCommand('bench-captures', seq, hold.userId, 'CAPTURE', {
      holdId: formatWriteKey(hold),
      ...(hold.to ? { asset: '', amountMinor: 0 } : { amountMinor: Math.floor(hold.amountMinor / 2) }),
    }),
  );
  const userIds = [...Array.from({ length: holders }, (_, i) => `holder-${i}`), ...expiringUsers];
  return { funding: funding(userIds), timed: [...placed, ...captures] };
}

const asRecords = (commands: WalletCommand[]): OutgoingRecord<WalletCommand>[] =>
  commands.map((value) => ({ key: value.userId, value }));

const ledgerEnv = (topic: string, schema: string) => ({
  WALLET_COMMANDS_TOPIC: topic,
  WALLET_OUTCOMES_TOPIC: topics.outcomes,
  DLQ_TOPIC: topics.deadLetters,
  DB_SCHEMA: schema,
});

/**
 * A payment phase's drain, timed as 1's: its funding drained by a ledger of its own, which is then stopped
 * (SIGTERM: it commits first); then the timed backlog produced while no ledger runs, and a fresh ledger on the
 * same group and schema timed from its first processed record to lag 0. Returns that ledger, still running.
 */
async function drainPayments(
  stack: TestStack,
  services: bench.BenchServices,
  phase: PaymentPhase,
  backlog: PaymentBacklog,
  env: Record<string, string> = {},
) {
  const { topic, group, schema } = paymentPhase(phase);
  const ledger = { name: 'wallet-ledger', group, env: { ...ledgerEnv(topic, schema), ...env } };
  const commandTopic = (commands: WalletCommand[]) => ({
    topic,
    schema: TOPICS.walletCommands.valueSchema,
    records: asRecords(commands),
  });
  const funded = await bench.drainBacklog(stack, services, commandTopic(backlog.funding), ledger);
  await funded.service.stop('SIGTERM');
  const drained = await bench.drainBacklog(stack, services, commandTopic(backlog.timed), ledger);
  return {
    service: drained.service,
    perSecond: drained.eventsPerSecond,
    batches: await bench.batchSummary(drained.service.url),
  };
}

/**
 * Every write of the phase applied, none rejected or lost (a dead-lettered record has no write): otherwise the
 * rate would be one of refusals, and the run stops.
 */
async function expectAllApplied(pool: Pool, phase: PaymentPhase, writes: number) {
  const { rows } = await pool.query(
    `SELECT count(*) FILTER (WHERE status = 'applied')::int AS applied, count(*) FILTER (WHERE status = 'rejected')::int AS rejected,
            string_agg(DISTINCT rejection, ', ') AS reasons FROM ${paymentPhase(phase).schema}.ledger_writes`,
  );
  const { applied, rejected, reasons } = rows[0] as { applied: number; rejected: number; reasons: string | null };
  out.note(`${phase}: writes applied / rejected (funding included)`, `${applied} / ${rejected}`);
  if (applied !== writes || rejected > 0)
    throw new Error(`${phase}: ${applied} of ${writes} writes applied, ${rejected} rejected (${reasons ?? 'none'})`);
}

/** A rate of 1b-1d, and beside it the ratio to 1's commands/s of this same run (the anchor). */
function noteRate(name: string, what: string, perSecond: number, commandsPerSecond: number) {
  out.note(name, Math.round(perSecond));
  out.note(`${what} ÷ commands/s of 1 (${commandsPerSecond})`, +(perSecond / commandsPerSecond).toFixed(3));
}

/** 1b and 1c: the same transfers from the same senders, to receivers of their own, then to 4 hot ones. */
async function measureTransfers(
  stack: TestStack,
  services: bench.BenchServices,
  pool: Pool,
  commandsPerSecond: number,
) {
  const receivers: [PaymentPhase, (sender: number) => string][] = [
    ['uncontended', (sender) => `payee-${sender}`],
    ['contended', (sender) => `creator-${sender % HOT_RECEIVERS}`],
  ];
  for (const [phase, receiverOf] of receivers) {
    const backlog = transferBacklog(TRANSFERS, receiverOf);
    const drained = await drainPayments(stack, services, phase, backlog);
    const receiving = phase === 'contended' ? HOT_RECEIVERS : backlog.funding.length;
    noteRate(
      `wallet-ledger: transfers/s, ${phase} (${TRANSFERS} backlog, ${backlog.funding.length} senders → ${receiving} receivers)`,
      `transfers/s ${phase}`,
      drained.perSecond,
      commandsPerSecond,
    );
    out.note(`${phase}: consumer batches during the drain`, drained.batches);
    await drained.service.stop('SIGTERM');
    await expectAllApplied(pool, phase, backlog.funding.length + backlog.timed.length);
    await verified(pool, paymentPhase(phase).schema, `1${phase === 'uncontended' ? 'b' : 'c'} (transfers, ${phase})`);
  }
}

/** Produces the commands to the topic (acks=all), no ledger timed. */
async function produce(stack: TestStack, kafka: bench.Kafka, topic: string, commands: WalletCommand[]) {
  const producer = new TypedProducer(kafka, { lingerMs: 5 });
  await producer.connect();
  const codec = topicCodec(createSchemaRegistry(stack.registryUrl), topic, TOPICS.walletCommands.valueSchema);
  await bench.produceAll(producer, codec, asRecords(commands));
  await producer.disconnect();
}

/**
 * 1d's expiry: one hold per user, all due at one deadline, set far enough ahead (3× what placing them should
 * take at 1d's rate, and 2 s more) that all are placed before it; then from the deadline until none is pending.
 */
async function measureExpiry(
  stack: TestStack,
  kafka: bench.Kafka,
  pool: Pool,
  userIds: string[],
  holdsPerSecond: number,
) {
  const { topic, group, schema } = paymentPhase('holds');
  const timeoutMs = Math.ceil((3 * userIds.length * 1000) / holdsPerSecond) + 2000;
  const receivedAtMs = Date.now();
  const deadline = receivedAtMs + timeoutMs;
  const holds = userIds.map((userId, seq) =>
    benchCommand('bench-expiring', seq, userId, 'HOLD', { amountMinor: paymentAmount(seq), timeoutMs, receivedAtMs }),
  );
  await produce(stack, kafka, topic, holds);
  await bench.waitForDrain(kafka, group, [topic]);
  const name = `hold expiry: ${holds.length} holds due at one deadline, all released after it (grace 0, tick ${EXPIRY_ENV.HOLD_EXPIRY_TICK_MS} ms), ms`;
  if (Date.now() >= deadline) {
    out.note(name, `not measured: the holds were still being placed at their deadline (timeout ${timeoutMs} ms)`);
    return holds.length;
  }
  await bench.sleep(deadline - Date.now());
  const pending = async () =>
    (
      await pool.query(
        `SELECT count(*)::int AS n FROM ${schema}.holds WHERE status = 'pending' AND hold_id LIKE 'bench-expiring:%'`,
      )
    ).rows[0].n as number;
  while ((await pending()) > 0) {
    if (Date.now() - deadline > 120_000) throw new Error(`hold expiry: holds still pending 120 s after their deadline`);
    await bench.sleep(20);
  }
  const afterMs = Date.now() - deadline;
  out.note(name, afterMs);
  out.note('hold expiry: holds released per second after the deadline', Math.round((holds.length * 1000) / afterMs));
  return holds.length;
}

/** 1d: holds and their captures as one backlog (commands/s), then the expiry of N/10 holds. */
async function measureHolds(
  stack: TestStack,
  services: bench.BenchServices,
  kafka: bench.Kafka,
  pool: Pool,
  commandsPerSecond: number,
) {
  const expiringUsers = Array.from({ length: Math.max(1, Math.round(TRANSFERS / 10)) }, (_, i) => `expiring-${i}`);
  const backlog = holdBacklog(TRANSFERS, expiringUsers);
  const drained = await drainPayments(stack, services, 'holds', backlog, EXPIRY_ENV);
  const holds = backlog.timed.length / 2;
  noteRate(
    `wallet-ledger: holds+captures/s (${holds} holds, then ${holds} captures: half whole with a payee, half partly)`,
    'holds+captures/s',
    drained.perSecond,
    commandsPerSecond,
  );
  out.note('holds: consumer batches during the drain', drained.batches);
  const expiring = await measureExpiry(stack, kafka, pool, expiringUsers, drained.perSecond);
  await drained.service.stop('SIGTERM');
  await expectAllApplied(pool, 'holds', backlog.funding.length + backlog.timed.length + expiring);
  await verified(pool, paymentPhase('holds').schema, '1d (holds, captures and expiries)');
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

/**
 * 1e's history users: for each size, users with exactly that many commands (credits of 1.00 and, every fourth, a
 * debit of 0.50; a fifth of them in gems), each a write of its own.
 */
function historyBacklog(): { commands: WalletCommand[]; usersBySize: Map<number, string[]> } {
  const commands: WalletCommand[] = [];
  const usersBySize = new Map<number, string[]>();
  for (const size of HISTORY_SIZES) {
    const userIds = Array.from({ length: HISTORIES }, (_, u) => `history-${size}-${u}`);
    usersBySize.set(size, userIds);
    for (const userId of userIds)
      for (let i = 0; i < size; i++) {
        const debit = i % 4 === 3;
        commands.push(
          benchCommand('bench-history', commands.length, userId, debit ? 'DEBIT' : 'CREDIT', {
            asset: i % 5 === 4 ? 'gems' : ASSET,
            amountMinor: debit ? 50 : 100,
          }),
        );
      }
  }
  return { commands, usersBySize };
}

/** 1e: the naive peer drains 1's backlog, timed as 1 is; returns it, still running. */
async function drainPeer(stack: TestStack, kafka: bench.Kafka, commandsPerSecond: number): Promise<NaivePeer> {
  const naive = await startNaivePeer(stack, {
    PEER_TOPIC: topics.commands,
    PEER_GROUP: peer.group,
    PEER_SCHEMA: peer.schema,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { perSecond } = await bench.timeDrain(admin, peer.group, [topics.commands], naive.url);
    out.note('naive peer (one transaction per command): commands/s', Math.round(perSecond));
    out.note('wallet-ledger ÷ naive peer', +(commandsPerSecond / perSecond).toFixed(2));
    return naive;
  } catch (error) {
    await naive.stop();
    throw error;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every balance of the peer against the ledger's, account by account (an account one side lacks counts as 0 there).
 * Any mismatch fails the run: a rate compared with a peer that computes other balances compares nothing.
 */
async function checkBalances(pool: Pool) {
  const { rows } = await pool.query(
    `SELECT user_id, asset, coalesce(t.balance_minor, 0)::text AS tally, coalesce(p.balance_minor, 0)::text AS peer
       FROM ${run}.balances t FULL JOIN ${peer.schema}.balances p USING (user_id, asset)`,
  );
  const mismatches = rows.filter((r) => r.tally !== r.peer);
  out.note('balances checked / mismatches', `${rows.length} / ${mismatches.length}`);
  if (mismatches.length > 0)
    throw new Error(
      `the peer and the ledger disagree on ${mismatches.length} balances, e.g.:\n${mismatches
        .slice(0, 10)
        .map((r) => `  ${r.user_id} ${r.asset}: ledger ${r.tally}, peer ${r.peer}`)
        .join('\n')}`,
    );
}

/**
 * How many reads of one side a round of 1f has (see alternating): small, so that even a short burst of other work
 * on the shared cores spans rounds of both sides.
 */
const READS_PER_ROUND = 20;

/** One side of 1f: `count` balance reads of users with `size` entries, `CONCURRENCY` at a time; latencies. */
type BalanceReads = (size: number, count: number) => Promise<number[]>;

/**
 * `count` reads of each side at one size, in rounds of READS_PER_ROUND that alternate between the sides (and which
 * goes first), so a burst of other work on the shared cores lands on both alike rather than on whichever was being
 * timed. Returns each side's latencies, ascending.
 */
async function alternating(sides: BalanceReads[], size: number, count: number): Promise<number[][]> {
  const latencies = sides.map((): number[] => []);
  for (let round = 0; round * READS_PER_ROUND < count; round++)
    for (let k = 0; k < sides.length; k++) {
      const side = (round + k) % sides.length;
      latencies[side]!.push(...(await sides[side]!(size, Math.min(READS_PER_ROUND, count - round * READS_PER_ROUND))));
    }
  return latencies.map((l) => l.sort((a, b) => a - b));
}

/** Ours against the naive at every history size: each side's p50 / p99 and the ratio of the p99s; the ratios. */
async function compareBalanceReads(
  names: { ours: string; naive: string; ratio: string },
  ours: BalanceReads,
  naive: BalanceReads,
): Promise<number[]> {
  const ratios: number[] = [];
  for (const size of HISTORY_SIZES) {
    const [a, b] = (await alternating([ours, naive], size, READS)) as [number[], number[]];
    out.note(`${names.ours}, ${size} entries: p50 / p99 ms`, bench.p50p99(a, 2));
    out.note(`${names.naive}, ${size} entries: p50 / p99 ms`, bench.p50p99(b, 2));
    const ratio = bench.percentile(a, 99) / bench.percentile(b, 99);
    out.note(`${names.ratio}, ${size} entries`, +ratio.toFixed(3));
    ratios.push(ratio);
  }
  return ratios;
}

/**
 * 1f: per history size, the balance read of the ledger against the peer's, first as a client sees them (GET straight
 * from each process over HTTP), then as what each asks Postgres (its one query, from this process), so the
 * database's share shows apart from the HTTP around it. Both processes are first read untimed, a fifth as often,
 * at every size (as measureReadRoutes does): a fresh process compiles its hot path on its first requests. The
 * highest HTTP ratio goes under the name suite.ts reads.
 */
async function measureBalanceReads(
  pool: Pool,
  urls: { ledger: string; peer: string },
  usersBySize: Map<number, string[]>,
) {
  const userOf = (size: number) => bench.pick(usersBySize.get(size)!);
  const overHttp =
    (client: bench.HttpClient): BalanceReads =>
    async (size, count) =>
      (await bench.timeReads(client, count, CONCURRENCY, () => `/v1/wallets/${userOf(size)}`)).latencies;
  const inSql =
    (sql: string): BalanceReads =>
    async (size, count) =>
      (await bench.timeConcurrent(count, CONCURRENCY, async () => void (await pool.query(sql, [userOf(size)]))))
        .latencies;
  const [ledger, naive] = [bench.httpClient(urls.ledger), bench.httpClient(urls.peer)];
  try {
    for (const size of HISTORY_SIZES)
      for (const client of [ledger, naive]) await overHttp(client)(size, Math.ceil(READS / 5));
    const ratios = await compareBalanceReads(
      { ours: 'GET balance', naive: 'naive SUM', ratio: 'GET balance p99 ÷ naive SUM p99' },
      overHttp(ledger),
      overHttp(naive),
    );
    out.note(
      'GET /v1/wallets/{userId} p99 ÷ naive SUM p99, the highest over the history sizes (each straight over HTTP)',
      +Math.max(...ratios).toFixed(3),
    );
    await compareBalanceReads(
      {
        ours: 'balance rows, SQL only',
        naive: 'naive SUM, SQL only',
        ratio: 'balance rows p99 ÷ naive SUM p99, SQL only',
      },
      inSql(BALANCE_ROWS_SQL),
      inSql(naiveBalanceSql(peer.schema)),
    );
  } finally {
    ledger.close();
    naive.close();
  }
}

/**
 * 1e and 1f: the peer drains 1's backlog; the history users' commands go through both; the balances are checked;
 * then the balance reads by history size. The peer is stopped at the end, also after a failure.
 */
async function measureAgainstPeer(
  stack: TestStack,
  kafka: bench.Kafka,
  pool: Pool,
  ledgerUrl: string,
  commandsPerSecond: number,
) {
  const naive = await drainPeer(stack, kafka, commandsPerSecond);
  try {
    const history = historyBacklog();
    await produce(stack, kafka, topics.commands, history.commands);
    await bench.waitForDrain(kafka, group, [topics.commands]);
    await bench.waitForDrain(kafka, peer.group, [topics.commands]);
    await checkBalances(pool);
    await measureBalanceReads(pool, { ledger: ledgerUrl, peer: naive.url }, history.usersBySize);
  } finally {
    await naive.stop();
  }
}

async function measure(stack: TestStack, services: bench.BenchServices, kafka: bench.Kafka) {
  const pool = createPool(stack.databaseUrl);
  try {
    const backlog = walletBacklog(COMMANDS);
    const drained = await bench.drainReported(
      out.note,
      stack,
      services,
      { topic: topics.commands, schema: TOPICS.walletCommands.valueSchema, records: backlog.records, unit: 'commands' },
      { name: 'wallet-ledger', group, env: ledgerEnv(topics.commands, run) },
    );
    await ledgerMix(pool);
    await verified(pool, run, '1 (credits and debits)');
    const commandsPerSecond = Math.round(drained.eventsPerSecond);
    await measureAgainstPeer(stack, kafka, pool, drained.service.url, commandsPerSecond);
    await measureTransfers(stack, services, pool, commandsPerSecond);
    await measureHolds(stack, services, kafka, pool, commandsPerSecond);
    await measureThroughGateway(stack, services, kafka, backlog, drained);
  } finally {
    await pool.end();
  }
}

/** 2 and 3, on the ledger of 1. */
async function measureThroughGateway(
  stack: TestStack,
  services: bench.BenchServices,
  kafka: bench.Kafka,
  backlog: Backlog,
  drained: { service: ServiceProcess; eventsPerSecond: number },
) {
  const { gateway, service, close } = await bench.gatewayInFront(services, apiKey, drained.service.url, {
    WALLET_COMMANDS_TOPIC: topics.commands,
    WALLET_OUTCOMES_TOPIC: topics.outcomes,
    WALLET_LEDGER_URL: drained.service.url,
  });
  try {
    await measureReads({ gateway, service }, backlog);
    await bench.measureWriteToVisible(out.note, (label) => probeCredits(gateway, label), {
      halfRate: Math.round(drained.eventsPerSecond / 2),
      send: grantLoad(gateway, backlog.users),
      maxInFlight: 64,
      what: 'grants, credits',
      caughtUp: () => bench.waitForDrain(kafka, group, [topics.commands]),
      serviceUrl: drained.service.url,
    });
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
    ...PAYMENT_PHASES.map((phase) => ({
      name: paymentPhase(phase).topic,
      partitions: 12,
      schema: TOPICS.walletCommands.valueSchema,
    })),
  ],
  created: {
    groups: [group, peer.group, ...PAYMENT_PHASES.map((phase) => paymentPhase(phase).group)],
    schemas: [run, peer.schema, ...PAYMENT_PHASES.map((phase) => paymentPhase(phase).schema)],
  },
  printJson: out.printJson,
  measure,
});
