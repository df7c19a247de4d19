import { fileURLToPath } from 'node:url';
import { createLogger, createMetrics, startOpsServer, type Logger } from '@tally/observability';
import { createSchemaRegistry, topicCodec } from '@tally/schemas';
import { createPool, createRedis, migrate } from '@tally/storage';
import {
  BatchConsumer,
  Serially,
  TypedProducer,
  createKafka,
  topicPartitions,
  closeOnce,
  consumingServiceResources,
  type ServiceResource,
} from '@tally/streaming';
import { queueRoutes } from './adapters/http.js';
import { QueueStore } from './adapters/postgres-queues.js';
import { QueueProjection } from './adapters/redis-queues.js';
import type { QueueAdmitterConfig } from './config.js';
import { admissionTokens } from './domain/admission-token.js';
import {
  AdmissionProposer,
  queueCommandHandler,
  rebuildLostProjections,
  type AdmitterDeps,
  type QueueRole,
} from './queue-admitter.js';

export interface RunningAdmitter {
  port: number;
  logger: Logger;
  resources: ServiceResource[];
  close: () => Promise<void>;
}

const migrations = fileURLToPath(new URL('../migrations', import.meta.url));

/**
 * Config → adapters → runtime. `now` is injectable so tests can make admissions expire without waiting: it is the
 * time of the decisions this instance proposes (applying the log reads no clock).
 */
export async function startQueueAdmitter(
  config: QueueAdmitterConfig,
  now: () => number = Date.now,
): Promise<RunningAdmitter> {
  const logger = createLogger('queue-admitter', config.LOG_LEVEL);
  const metrics = createMetrics('queue-admitter');
  if (config.signingKeys.usingDevelopmentKey) {
    logger.warn(
      { kid: config.signingKeys.keys[0]!.kid },
      'ADMISSION_SIGNING_KEYS is not set: signing admission tokens with the development key, which anyone can sign with; production refuses to start like this',
    );
  }
  const tokens = await admissionTokens(config.signingKeys.keys, config.ADMISSION_TOKEN_ISSUER);
  logger.info(
    { signingKid: config.signingKeys.keys[0]!.kid, publishedKids: tokens.jwks.keys.map((k) => k.kid) },
    'admission token keys',
  );
  await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: migrations,
    log: (m) => logger.debug(m),
  });

  const redis = createRedis(config.REDIS_URL, 'queue-admitter');
  const pool = createPool(config.DATABASE_URL);
  const role: QueueRole = config.QUEUE_ROLE === 'follower' ? 'follower' : 'admitter';
  const store = new QueueStore(pool, config.DB_SCHEMA, {
    group: config.CONSUMER_GROUP,
    topic: config.QUEUE_COMMANDS_TOPIC,
    publishEvents: role === 'admitter',
  });
  const projection = new QueueProjection(redis, config.REDIS_PREFIX);
  const registry = createSchemaRegistry(config.SCHEMA_REGISTRY_URL);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger });
  const producer = new TypedProducer(kafka);
  await producer.connect();
  const partitions = await topicPartitions(kafka, config.QUEUE_COMMANDS_TOPIC);
  const commands = topicCodec(registry, config.QUEUE_COMMANDS_TOPIC, 'tally.queue.QueueCommand');
  const deps: AdmitterDeps = {
    store,
    projection,
    producer,
    events: topicCodec(registry, config.QUEUE_EVENTS_TOPIC, 'tally.queue.QueueEvent'),
    role,
    serially: new Serially(),
    now,
    logger,
  };

  const consumer = new BatchConsumer({
    service: 'queue-admitter',
    groupId: config.CONSUMER_GROUP,
    kafka,
    codecs: [commands],
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

  // the admitter proposes decisions from the end offsets of its partitions (one admin request a round); a
  // follower only rebuilds what Redis lost
  const admin = role === 'admitter' ? kafka.admin() : undefined;
  await admin?.connect();
  const proposer = admin
    ? new AdmissionProposer({
        store,
        producer,
        commands,
        now,
        logger,
        maxLag: config.ADMISSION_MAX_LAG,
        endOffsets: async () =>
          new Map(
            (await admin.fetchTopicOffsets(config.QUEUE_COMMANDS_TOPIC)).map((p) => [p.partition, Number(p.high)]),
          ),
      })
    : undefined;

  // one round at a time: a slow round delays the next instead of overlapping it
  let stopped = false;
  let round: Promise<void> = Promise.resolve();
  const loop = async () => {
    while (!stopped) {
      const owned = consumer.assignedPartitions(config.QUEUE_COMMANDS_TOPIC);
      round = (async () => {
        await rebuildLostProjections(deps, owned);
        await proposer?.round(owned);
      })().catch((error: unknown) => logger.warn({ err: error }, 'admission round failed'));
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
    routes: queueRoutes({ store, projection, partitions, tokens, now }),
  });
  logger.info({ port: ops.port, role }, 'queue-admitter ready');

  // closed in reverse: HTTP first, then admissions stop, the consumer finishes its batch, then the stores
  const admissions: ServiceResource = {
    name: 'admissions',
    close: async () => {
      stopped = true;
      await round;
      await admin?.disconnect();
    },
  };
  const resources = consumingServiceResources({ pool, redis, producer, consumer, http: ops, loops: [admissions] });
  const close = closeOnce(resources);
  return { port: ops.port, logger, resources, close };
}
