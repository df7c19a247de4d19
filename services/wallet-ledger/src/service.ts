import { fileURLToPath } from 'node:url';
import { createLogger, createMetrics, startOpsServer, type Logger } from '@tally/observability';
import { createSchemaRegistry, topicCodec } from '@tally/schemas';
import { createPool, migrate } from '@tally/storage';
import {
  BatchConsumer,
  TypedProducer,
  createKafka,
  closeOnce,
  consumingServiceResources,
  type ServiceResource,
} from '@tally/streaming';
import { walletRoutes } from './adapters/http.js';
import { LedgerStore } from './adapters/postgres-ledger.js';
import type { WalletLedgerConfig } from './config.js';
import { walletCommandHandler } from './wallet-ledger.js';

export interface RunningLedger {
  port: number;
  logger: Logger;
  store: LedgerStore;
  resources: ServiceResource[];
  close: () => Promise<void>;
}

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Config → adapters → runtime. No Redis: Postgres is the source of truth and answers reads by primary key,
 * so there is no cache to lose or to rebuild.
 */
export async function startWalletLedger(
  config: WalletLedgerConfig,
  now: () => number = Date.now,
): Promise<RunningLedger> {
  const logger = createLogger('wallet-ledger', config.LOG_LEVEL);
  const metrics = createMetrics('wallet-ledger');
  await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: migrations,
    log: (m) => logger.debug(m),
  });

  const pool = createPool(config.DATABASE_URL);
  const store = new LedgerStore(pool, config.DB_SCHEMA);
  const registry = createSchemaRegistry(config.SCHEMA_REGISTRY_URL);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger });
  const producer = new TypedProducer(kafka);
  await producer.connect();

  const consumer = new BatchConsumer({
    service: 'wallet-ledger',
    groupId: config.CONSUMER_GROUP,
    kafka,
    codecs: [topicCodec(registry, config.WALLET_COMMANDS_TOPIC, 'tally.wallet.WalletCommand')],
    handler: walletCommandHandler({
      store,
      producer,
      outcomes: topicCodec(registry, config.WALLET_OUTCOMES_TOPIC, 'tally.wallet.WalletOutcome'),
    }),
    producer,
    deadLetters: topicCodec(registry, config.DLQ_TOPIC, 'tally.platform.DeadLetter'),
    lateRecords: topicCodec(registry, config.LATE_TOPIC, 'tally.platform.LateRecord'),
    metrics,
    logger,
    concurrency: config.CONSUMER_CONCURRENCY,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
  });
  await consumer.start();

  const ops = await startOpsServer({
    port: config.PORT,
    host: config.HOST,
    metrics,
    logger,
    readiness: [
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      { name: 'kafka', check: () => consumer.ready() },
    ],
    routes: walletRoutes({ store, now }),
  });
  logger.info({ port: ops.port }, 'wallet-ledger ready');

  // closed in reverse: HTTP first, then the consumer finishes and commits its batch, then the stores
  const resources = consumingServiceResources({ pool, producer, consumer, http: ops });
  const close = closeOnce(resources);
  return { port: ops.port, logger, store, resources, close };
}
