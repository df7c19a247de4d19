/**
 * The wallet's peer in the benchmark: what a user would otherwise write instead of wallet-ledger, seed 004's way
 * done right. One kafkajs consumer, one message at a time (eachMessage, one partition after another), and one
 * Postgres transaction per command:
 *
 *   BEGIN; INSERT the write id (source, seq) ON CONFLICT DO NOTHING (nothing inserted: a repeat, the transaction
 *   ends); SELECT the balance row FOR UPDATE (made if missing); refuse a debit larger than the balance; INSERT the
 *   entry; UPDATE the balance; COMMIT
 *
 * and the offset committed only after: kafkajs resolves a message's offset once eachMessage has returned (after
 * the COMMIT) and commits the resolved offsets after each fetched batch, so a committed offset never runs ahead
 * of what is durable; a crash replays at most one batch, which the write ids absorb.
 *
 * Only CREDIT and DEBIT: the backlogs the wallet bench has the peer drain (phase 1's credits and debits, and the
 * credits and debits of its history users) hold nothing else; transfers, holds and groups go to topics the peer
 * never reads. Any other kind stops it rather than being counted as done.
 *
 * Its reads are seed 004's too: GET /v1/wallets/{userId} answers the SUM over the user's entries. It serves them
 * on the same Fastify server the services run (@tally/observability's ops server), beside /metrics with the
 * records-processed counter every Tally service has, so the bench times its drain and its reads exactly as it
 * times wallet-ledger's.
 *
 * scripts/bench/wallet.ts starts it as its own process (startNaivePeer), as wallet-ledger runs as its own.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TOPICS } from '@tally/contracts';
import { AssetCatalogue, DEFAULT_ASSETS, formatMinor } from '@tally/money';
import { createLogger, createMetrics, startOpsServer } from '@tally/observability';
import { createSchemaRegistry, topicCodec, type WalletCommand } from '@tally/schemas';
import { createPool, inTransaction, type Pool, type PoolClient } from '@tally/storage';
import { consumerMetrics, createKafka } from '@tally/streaming';
import { stackEnvironment, type TestStack } from '@tally/testkit';

/** Where the peer reads and writes, passed to its process as variables of these names. */
export interface PeerSettings {
  PEER_TOPIC: string;
  PEER_GROUP: string;
  PEER_SCHEMA: string;
}

/** Its own tables: the write ids seen, a balance row per (user, asset), and an entry per command applied or refused. */
const tables = (schema: string) => `
  CREATE SCHEMA IF NOT EXISTS ${schema};
  CREATE TABLE IF NOT EXISTS ${schema}.writes (source text NOT NULL, seq bigint NOT NULL, PRIMARY KEY (source, seq));
  CREATE TABLE IF NOT EXISTS ${schema}.balances (
    user_id text NOT NULL, asset text NOT NULL, balance_minor bigint NOT NULL CHECK (balance_minor >= 0),
    PRIMARY KEY (user_id, asset));
  CREATE TABLE IF NOT EXISTS ${schema}.entries (
    entry_no bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id text NOT NULL, asset text NOT NULL,
    source text NOT NULL, seq bigint NOT NULL, type text NOT NULL, amount_minor bigint NOT NULL,
    -- what the entry did to the balance: 0 for a refused debit, so a SUM of a user's entries is the balance
    change_minor bigint NOT NULL, refused boolean NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  -- a user's history, newest first, as a wallet's history page reads it (and the SUM finds the user's rows by)
  CREATE INDEX IF NOT EXISTS entries_history ON ${schema}.entries (user_id, entry_no DESC);`;

type Outcome = 'applied' | 'refused' | 'repeat';

/** The balance row of (user, asset), locked until the transaction ends; made (empty) first if there is none. */
async function lockBalance(db: PoolClient, schema: string, userId: string, asset: string): Promise<bigint> {
  const select = () =>
    db.query(`SELECT balance_minor FROM ${schema}.balances WHERE user_id = $1 AND asset = $2 FOR UPDATE`, [
      userId,
      asset,
    ]);
  let { rows } = await select();
  if (rows.length === 0) {
    await db.query(
      `INSERT INTO ${schema}.balances (user_id, asset, balance_minor) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`,
      [userId, asset],
    );
    ({ rows } = await select());
  }
  return BigInt(rows[0].balance_minor as string);
}

/** One command, once: its whole effect in one transaction (see the header). */
export function applyOnce(pool: Pool, schema: string, command: WalletCommand): Promise<Outcome> {
  const { source, seq, userId, asset, type } = command;
  if (type !== 'CREDIT' && type !== 'DEBIT')
    throw new Error(`the naive peer applies credits and debits only, not ${type} (${source}:${seq})`);
  return inTransaction(pool, async (db) => {
    const fresh = await db.query(`INSERT INTO ${schema}.writes (source, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
      source,
      seq,
    ]);
    if (fresh.rowCount === 0) return 'repeat';
    const balance = await lockBalance(db, schema, userId, asset);
    const amount = BigInt(command.amountMinor);
    const refused = type === 'DEBIT' && amount > balance;
    const change = refused ? 0n : type === 'CREDIT' ? amount : -amount;
    await db.query(
      `INSERT INTO ${schema}.entries (user_id, asset, source, seq, type, amount_minor, change_minor, refused)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [userId, asset, source, seq, type, amount.toString(), change.toString(), refused],
    );
    if (refused) return 'refused';
    await db.query(`UPDATE ${schema}.balances SET balance_minor = $3 WHERE user_id = $1 AND asset = $2`, [
      userId,
      asset,
      (balance + change).toString(),
    ]);
    return 'applied';
  });
}

/** Seed 004's balance: the SUM of the user's entries, per asset (the bench also times it alone, as SQL). */
export const naiveBalanceSql = (schema: string) =>
  `SELECT asset, sum(change_minor)::text AS balance FROM ${schema}.entries WHERE user_id = $1 GROUP BY asset`;

/** What registers a server's routes (Fastify's instance, as @tally/observability hands it out). */
type Routes = NonNullable<Parameters<typeof startOpsServer>[0]['routes']>;

/** Seed 004's balance read over HTTP: naiveBalanceSql, the amounts as the API writes them. */
function balanceRoute(pool: Pool, schema: string): Routes {
  const assets = AssetCatalogue.parse(DEFAULT_ASSETS);
  return (app) => {
    app.get<{ Params: { userId: string } }>('/v1/wallets/:userId', async (request) => {
      const { rows } = await pool.query(naiveBalanceSql(schema), [request.params.userId]);
      return {
        userId: request.params.userId,
        balances: Object.fromEntries(
          rows.map((r) => [r.asset, formatMinor(BigInt(r.balance as string), assets.rule(r.asset)?.scale ?? 2)]),
        ),
      };
    });
  };
}

/** The peer's process: its tables, its read server, then the consumer until SIGTERM. */
async function runPeer(env: NodeJS.ProcessEnv & PeerSettings) {
  const logger = createLogger('naive-peer', 'warn');
  const { PEER_TOPIC: topic, PEER_GROUP: group, PEER_SCHEMA: schema } = env;
  // the consumer's one connection apart from the reads' pool, so reads never wait for a command or the reverse
  const writes = createPool(env.DATABASE_URL!, 1);
  const reads = createPool(env.DATABASE_URL!);
  await writes.query(tables(schema));
  const metrics = createMetrics('naive-peer');
  const processed = consumerMetrics(metrics).recordsProcessed.labels({ group, topic });
  const server = await startOpsServer({
    port: 0,
    host: '127.0.0.1',
    metrics,
    logger,
    readiness: [],
    routes: balanceRoute(reads, schema),
  });
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS!.split(','), clientId: 'naive-peer', logger });
  const codec = topicCodec(createSchemaRegistry(env.SCHEMA_REGISTRY_URL!), topic, TOPICS.walletCommands.valueSchema);
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      try {
        await applyOnce(writes, schema, await codec.decode(message.value));
      } catch (error) {
        // a bench peer, not a service: whatever went wrong ends it, and the bench, which polls it, says so
        console.error('the naive peer stops:', error);
        process.exit(1);
      }
      processed.inc();
    },
  });
  process.once('SIGTERM', () => {
    void (async () => {
      await consumer.disconnect();
      await server.close();
      await Promise.all([writes.end(), reads.end()]);
      process.exit(0);
    })();
  });
  // the parent waits for this line: where to reach the server (its port was the OS's pick)
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.port}` }));
}

export interface NaivePeer {
  url: string;
  /** SIGTERM (the consumer commits what it has done and leaves its group); resolves once the process is gone. */
  stop: () => Promise<void>;
}

/**
 * The URL the peer prints once it serves and consumes. Every other line of its output (its logger's, at warn) goes
 * to stderr, and the output is read to its end, so the child never blocks on a full pipe.
 */
function readyUrl(output: Readable): Promise<string> {
  return new Promise((resolve) => {
    createInterface({ input: output }).on('line', (line) => {
      const url = /^\{"url":"([^"]+)"\}$/.exec(line)?.[1];
      if (url) resolve(url);
      else console.error(line);
    });
  });
}

/** Starts the peer as its own process on the stack; resolves once it serves and consumes. */
export async function startNaivePeer(stack: TestStack, settings: PeerSettings): Promise<NaivePeer> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
    env: { ...process.env, ...stackEnvironment(stack), ...settings },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await Promise.race([readyUrl(child.stdout), exited.then(() => undefined)]);
  if (!url) throw new Error(`the naive peer exited with ${child.exitCode} before it was ready`);
  return {
    url,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runPeer(process.env as NodeJS.ProcessEnv & PeerSettings);
