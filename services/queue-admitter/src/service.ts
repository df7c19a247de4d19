import { fileURLToPath } from 'node:url';
import { createLogger, createMetrics, startOpsServer, type Logger } from '@tally/observability';
import { createSchemaRegistry, topicCodec } from '@tally/schemas';
import { createPool, createRedis, migrate } from '@tally/storage';
import { BatchConsumer, Serially, TypedProducer, createKafka, topicPartitions, closeOnce, consumingServiceResources, type ServiceResource } from '@tally/streaming';
import { queueRoutes } from './adapters/http.js';
import { QueueStore } from './adapters/postgres-queues.js';
import { QueueProjection } from './adapters/redis-queues.js';
import type { QueueAdmitterConfig } from './config.js';
import { admissionRound, queueCommandHandler, type AdmitterDeps } from './queue-admitter.js';

export interface RunningAdmitter {
  port: number;
  logger: Logger;
  resources: ServiceResource[];
  close: () => Promise<void>;
}

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

/** Config → adapters → runtime. `now` is injectable so tests can make admissions expire without waiting. */
export async function startQueueAdmitter(config: QueueAdmitterConfig, now: () => number = Date.now): Promise<RunningAdmitter> {
  const logger = createLogger('queue-admitter', config.LOG_LEVEL);
  const metrics = createMetrics('queue-admitter');
  await migrate({ databaseUrl: config.DATABASE_URL, schema: config.DB_SCHEMA, dir: migrations, log: (m) => logger.debug(m) });

  const redis = createRedis(config.REDIS_URL, 'queue-admitter');
  const pool = createPool(config.DATABASE_URL);
  const store = new QueueStore(pool, config.DB_SCHEMA);
  const projection = new QueueProjection(redis, config.REDIS_PREFIX);
  const registry = createSchemaRegistry(config.SCHEMA_REGISTRY_URL);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger });
  const producer = new TypedProducer(kafka);
  await producer.connect();
  const partitions = await topicPartitions(kafka, config.QUEUE_COMMANDS_TOPIC);
  const deps: AdmitterDeps = { store, projection, producer, events: topicCodec(registry, config.QUEUE_EVENTS_TOPIC, 'tally.queue.QueueEvent'), serially: new Serially(), now, logger };

  const consumer = new BatchConsumer({
    service: 'queue-admitter',
    groupId: config.CONSUMER_GROUP,
    kafka,
    codecs: [topicCodec(registry, config.QUEUE_COMMANDS_TOPIC, 'tally.queue.QueueCommand')],
    handler: queueCommandHandler(deps),
    producer,
    deadLetters: topicCodec(registry, config.DLQ_TOPIC, 'tally.platform.DeadLetter'),
    lateRecords: topicCodec(registry, config.LATE_TOPIC, 'tally.platform.LateRecord'),
    metrics,
    logger,
    concurrency: config.CONSUMER_CONCURRENCY,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
  });
  await consumer.start();

  // one round at a time: a slow round delays the next instead of overlapping it
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  const loop = async () => {
    while (!stopped) {
      round = admissionRound(deps, consumer.assignedPartitions(config.QUEUE_COMMANDS_TOPIC)).catch((error: unknown) => logger.warn({ err: error }, 'admission round failed'));
      await round;
      await new Promise((r) => setTimeout(r, config.ADMISSION_TICK_MS));
    }
  };
  void loop();

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
    routes: queueRoutes({ store, projection, partitions, secret: config.ADMISSION_TOKEN_SECRET, now }),
  });
  logger.info({ port: ops.port }, 'queue-admitter ready');

  // closed in reverse: HTTP first, then admissions stop, the consumer finishes its batch, then the stores
  const admissions: ServiceResource = {
    name: 'admissions',
    close: async () => {
      stopped = true;
      await round;
    },
  };
  const resources = consumingServiceResources({ pool, redis, producer, consumer, http: ops, loops: [admissions] });
  const close = closeOnce(resources);
  return { port: ops.port, logger, resources, close };
}
