import { fileURLToPath } from 'node:url';
import { createLogger, createMetrics, startOpsServer, type Logger } from '@tally/observability';
import { createSchemaRegistry, topicCodec } from '@tally/schemas';
import { createPool, createRedis, migrate } from '@tally/storage';
import {
  BatchConsumer,
  TypedProducer,
  createKafka,
  closeOnce,
  consumingServiceResources,
  type ServiceResource,
} from '@tally/streaming';
import { CountPublisher } from './adapters/count-publisher.js';
import { viewerRoutes } from './adapters/http.js';
import { HistoryStore } from './adapters/postgres-history.js';
import { ViewerStore } from './adapters/redis-viewers.js';
import { heartbeatHandler } from './aggregator.js';
import type { ViewerAggregatorConfig } from './config.js';

export interface RunningAggregator {
  port: number;
  logger: Logger;
  resources: ServiceResource[];
  close: () => Promise<void>;
}

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));
const SEQ_ARCHIVE_PRUNE_MS = 10 * 60_000;

/** Config → adapters → runtime. `now` is injectable so tests can run minutes of simulated time. */
export async function startViewerAggregator(
  config: ViewerAggregatorConfig,
  now: () => number = Date.now,
): Promise<RunningAggregator> {
  const logger = createLogger('viewer-aggregator', config.LOG_LEVEL);
  const metrics = createMetrics('viewer-aggregator');
  await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: migrations,
    log: (m) => logger.debug(m),
  });

  const windowMs = config.VIEWER_WINDOW_SECONDS * 1000;
  const redis = createRedis(config.REDIS_URL, 'viewer-aggregator');
  const pool = createPool(config.DATABASE_URL);
  const viewers = new ViewerStore(redis, config.REDIS_PREFIX, windowMs, config.VIEWER_CLOCK_TOLERANCE_SECONDS * 1000);
  const history = new HistoryStore(pool, config.DB_SCHEMA, config.VIEWER_WINDOW_SECONDS);
  const registry = createSchemaRegistry(config.SCHEMA_REGISTRY_URL);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger });
  const producer = new TypedProducer(kafka);
  await producer.connect();
  const counts = new CountPublisher(
    producer,
    topicCodec(registry, config.COUNTS_TOPIC, 'tally.viewers.ViewerCountChanged'),
    windowMs,
  );

  const consumer = new BatchConsumer({
    service: 'viewer-aggregator',
    groupId: config.CONSUMER_GROUP,
    kafka,
    codecs: [topicCodec(registry, config.HEARTBEATS_TOPIC, 'tally.viewers.Heartbeat')],
    handler: heartbeatHandler({
      viewers,
      history,
      counts,
      group: config.CONSUMER_GROUP,
      historyGraceMs: config.HISTORY_GRACE_SECONDS * 1000,
      clockToleranceMs: config.VIEWER_CLOCK_TOLERANCE_SECONDS * 1000,
      now,
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

  // sessions leave the window without any new record: re-read the recently active streams and publish changes
  const expiry = setInterval(() => {
    const at = now();
    const streams = counts.activeStreams(at);
    void Promise.all(streams.map(async (s) => [s, await viewers.currentViewers(s, at)] as const))
      .then((read) => counts.publish(new Map(read), at))
      .catch((error: unknown) => logger.warn({ err: error }, 'expiry tick failed'));
  }, config.EXPIRY_TICK_MS);

  // blocks of applied seqs older than the retention are forgotten, for the partitions this instance owns
  const pruning = setInterval(() => {
    const scopes = consumer.assignedPartitions(config.HEARTBEATS_TOPIC).map((p) => `p${p}`);
    history
      .pruneSeqArchive(scopes, Date.now() - config.SEQ_ARCHIVE_RETENTION_HOURS * 3_600_000)
      .catch((error: unknown) => logger.warn({ err: error }, 'pruning the seq archive failed'));
  }, SEQ_ARCHIVE_PRUNE_MS);
  pruning.unref();

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
    routes: viewerRoutes({ viewers, history, windowSeconds: config.VIEWER_WINDOW_SECONDS, now }),
  });
  logger.info({ port: ops.port }, 'viewer-aggregator ready');

  // closed in reverse: HTTP first, then the consumer finishes and commits its batch, then the stores
  const resources = consumingServiceResources({
    pool,
    redis,
    producer,
    consumer,
    http: ops,
    loops: [
      { name: 'expiry', close: async () => clearInterval(expiry) },
      { name: 'seq archive pruning', close: async () => clearInterval(pruning) },
    ],
  });
  const close = closeOnce(resources);
  return { port: ops.port, logger, resources, close };
}
