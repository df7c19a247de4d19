import { fileURLToPath } from 'node:url';
import { createLogger, createMetrics, startOpsServer, type Logger } from '@tally/observability';
import { createSchemaRegistry, topicCodec } from '@tally/schemas';
import { createPool, createRedis, migrate } from '@tally/storage';
import {
  BatchConsumer,
  TypedProducer,
  createKafka,
  topicPartitions,
  closeOnce,
  consumingServiceResources,
  type ServiceResource,
} from '@tally/streaming';
import { counterRoutes } from './adapters/http.js';
import { CounterStore, type PartitionEvents } from './adapters/postgres-counters.js';
import { PostgresReads } from './adapters/postgres-reads.js';
import { CountsProjection } from './adapters/redis-projection.js';
import type { CounterMaterializerConfig } from './config.js';
import { Flusher } from './flusher.js';
import { Maintenance, itemEventHandler, writeThenProject } from './materializer.js';

export interface RunningMaterializer {
  port: number;
  logger: Logger;
  resources: ServiceResource[];
  /** Runs the maintenance tick now (tests move their clock and want windows slid without waiting). */
  maintain: () => Promise<void>;
  close: () => Promise<void>;
}

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

/** Config → adapters → runtime. `now` is injectable so tests can slide windows through simulated hours. */
export async function startCounterMaterializer(
  config: CounterMaterializerConfig,
  now: () => number = Date.now,
): Promise<RunningMaterializer> {
  const logger = createLogger('counter-materializer', config.LOG_LEVEL);
  const metrics = createMetrics('counter-materializer');
  await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: migrations,
    log: (m) => logger.debug(m),
  });

  const redis = createRedis(config.REDIS_URL, 'counter-materializer');
  const pool = createPool(config.DATABASE_URL);
  const store = new CounterStore(pool, config.DB_SCHEMA, config.CONSUMER_GROUP);
  const projection = new CountsProjection(redis, config.REDIS_PREFIX);
  const fallback = new PostgresReads(pool, config.DB_SCHEMA);
  const graces = { '1h': config.RANKING_1H_GRACE_SECONDS * 1000, '24h': config.RANKING_24H_GRACE_SECONDS * 1000 };
  const flusher = new Flusher<PartitionEvents>(
    writeThenProject(store, projection, now),
    config.FLUSH_INTERVAL_MS,
    config.FLUSH_MAX_EVENTS,
  );

  const registry = createSchemaRegistry(config.SCHEMA_REGISTRY_URL);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger });
  const producer = new TypedProducer(kafka);
  await producer.connect();
  const partitions = await topicPartitions(kafka, config.ITEM_EVENTS_TOPIC);

  const consumer = new BatchConsumer({
    service: 'counter-materializer',
    groupId: config.CONSUMER_GROUP,
    kafka,
    codecs: [topicCodec(registry, config.ITEM_EVENTS_TOPIC, 'tally.counters.ItemEvent')],
    handler: itemEventHandler(flusher, graces),
    producer,
    deadLetters: topicCodec(registry, config.DLQ_TOPIC, 'tally.platform.DeadLetter'),
    lateRecords: topicCodec(registry, config.LATE_TOPIC, 'tally.platform.LateRecord'),
    metrics,
    logger,
    concurrency: config.CONSUMER_CONCURRENCY,
    // every partition consumed at once hands in its share of a full flush, so when all have, the flush is full and
    // goes at once rather than after FLUSH_INTERVAL_MS (with 1,000-record chunks, 12 partitions never filled one)
    maxRecordsPerCommit: Math.ceil(config.FLUSH_MAX_EVENTS / config.CONSUMER_CONCURRENCY),
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
  });
  await consumer.start();

  const maintenance = new Maintenance({
    store,
    projection,
    flusher,
    owned: () => consumer.assignedPartitions(config.ITEM_EVENTS_TOPIC),
    now,
    logger,
    graces,
    seqArchiveRetentionMs: config.SEQ_ARCHIVE_RETENTION_HOURS * 3_600_000,
  });
  const maintain = () => maintenance.tick();
  const ticker = setInterval(
    () => void maintain().catch((error: unknown) => logger.warn({ err: error }, 'maintenance tick failed')),
    config.MAINTENANCE_TICK_MS,
  );

  const ops = await startOpsServer({
    port: config.PORT,
    host: config.HOST,
    metrics,
    logger,
    readiness: [
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      { name: 'kafka', check: () => consumer.ready() },
    ],
    routes: counterRoutes({ projection, fallback, partitions, now }),
  });
  logger.info({ port: ops.port }, 'counter-materializer ready');

  // closed in reverse: HTTP first, then the consumer finishes and commits its batch, then the stores
  const resources = consumingServiceResources({
    pool,
    redis,
    producer,
    consumer,
    http: ops,
    loops: [{ name: 'maintenance', close: async () => clearInterval(ticker) }],
  });
  const close = closeOnce(resources);
  return { port: ops.port, logger, resources, maintain, close };
}
