import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import { createLogger, createMetrics, startOpsServer, type Logger, type Metrics } from '@tally/observability';
import { TOPICS } from '@tally/contracts';
import { createSchemaRegistry, type SchemaName, type SchemaTypes, type TopicCodec } from '@tally/schemas';
import {
  awaitReplicas,
  createPool,
  createRedis,
  migrate,
  type MigrationSet,
  type Pool,
  type Redis,
} from '@tally/storage';
import {
  BatchConsumer,
  TypedProducer,
  closeOnce,
  consumingServiceResources,
  createKafka,
  type BatchHandler,
  type ServiceResource,
} from '@tally/streaming';
import { topicCodecFor, type SchemaRegistry } from './codecs.js';
import type { ConsumingServiceConfig } from './config.js';

/** What a service builds its own parts from: open, connected, and closed by the kit. */
export interface ServiceKit<C, WithRedis extends boolean> {
  config: C;
  logger: Logger;
  metrics: Metrics;
  pool: Pool;
  redis: WithRedis extends true ? Redis : undefined;
  kafka: Kafka;
  /** Connected; shared by the consumer (dead letters, late records) and the service's own outputs. */
  producer: TypedProducer;
  registry: SchemaRegistry;
  /** A codec for a topic of the catalogue under the name configuration gives it (topicCodecFor). */
  codec: <N extends SchemaName>(topicName: string, contract: { readonly valueSchema: N }) => TopicCodec<SchemaTypes[N]>;
  /** The partitions of `topic` this instance owns now (none before the consumer joined its group). */
  assignedPartitions: (topic: string) => number[];
}

/** What is the service's own: what it consumes and how it applies it, what it serves, what else it runs. */
export interface ConsumerWiring<T, Exposed> {
  /** One codec per subscribed topic. */
  codecs: TopicCodec<T>[];
  handler: BatchHandler<T>;
  /** Its read routes, on the ops server beside /healthz, /readyz and /metrics. */
  routes: (app: FastifyInstance) => void | Promise<void>;
  /** Records applied and committed together at most (default: the consumer's). */
  maxRecordsPerCommit?: number;
  /**
   * Timers and loops (expiry, maintenance, pruning, admissions), started once the consumer runs. Closing stops
   * them after HTTP and before the consumer finishes its batch, in reverse order.
   */
  loops?: () => ServiceResource[] | Promise<ServiceResource[]>;
  /** What the service hands its callers besides the running service (a store for tests, a tick to run now). */
  exposed?: Exposed;
}

export interface ConsumingServiceOptions<C extends ConsumingServiceConfig, T, Exposed, WithRedis extends boolean> {
  /** The service's name: of its logs (unless `logger` is given), its metrics and its Redis connection. */
  name: string;
  /** How this instance names itself to its consumer and in its ready line (default: `name`). */
  instance?: string;
  config: C;
  /** Default: a logger named `name` at LOG_LEVEL. */
  logger?: Logger;
  /** Default: KAFKA_CLIENT_ID. */
  clientId?: string;
  /** Applied in order before anything connects: the service's own set, then the sets of packages it uses. */
  migrations: MigrationSet[];
  /** Whether the service keeps state in Redis: then the kit connects it, checks it for readiness and closes it. */
  redis: WithRedis;
  /** Fields for the ready line besides the port. */
  readyDetails?: Record<string, unknown>;
  wire: (kit: ServiceKit<C, WithRedis>) => ConsumerWiring<T, Exposed> | Promise<ConsumerWiring<T, Exposed>>;
}

/** A started service: what its main and its tests hold. */
export interface RunningService {
  port: number;
  logger: Logger;
  /** In opening order: closing in reverse stops HTTP first, then loops, the consumer (it commits), the stores. */
  resources: ServiceResource[];
  /** Closes the resources once, however often it is called. */
  close: () => Promise<void>;
}

/**
 * Starts a consuming service: logger and metrics, migrations, Postgres (and Redis), the schema registry, Kafka and
 * a connected producer; then what `wire` builds from them — the consumer's codecs and handler, started; its loops;
 * the ops server with its routes and a readiness check of each store and of the consumer.
 */
export async function startConsumingService<C extends ConsumingServiceConfig, T, Exposed, WithRedis extends boolean>(
  options: ConsumingServiceOptions<C, T, Exposed, WithRedis>,
): Promise<RunningService & { exposed: Exposed }> {
  const { config } = options;
  const instance = options.instance ?? options.name;
  const kit = await openKit(options);
  // the consumer is made from what `wire` returns, which may ask for its partitions before it exists
  const started: { consumer?: BatchConsumer<T> } = {};
  const wiring = await options.wire({
    ...kit,
    assignedPartitions: (topic) => started.consumer?.assignedPartitions(topic) ?? [],
  });
  const consumer = (started.consumer = consumerOf(instance, kit, wiring));
  await consumer.start();
  const loops = (await wiring.loops?.()) ?? [];

  const { pool, redis, producer, logger } = kit;
  const ops = await startOpsServer({
    port: config.PORT,
    host: config.HOST,
    metrics: kit.metrics,
    logger,
    readiness: [
      ...(redis ? [{ name: 'redis', check: async () => void (await redis.ping()) }] : []),
      { name: 'postgres', check: async () => void (await pool.query('SELECT 1')) },
      { name: 'kafka', check: () => consumer.ready() },
    ],
    routes: wiring.routes,
  });
  logger.info({ port: ops.port, ...options.readyDetails }, `${instance} ready`);

  // closed in reverse: HTTP first, then the loops, then the consumer finishes and commits its batch, then the stores
  const resources = consumingServiceResources({ pool, redis, producer, consumer, http: ops, loops });
  return { port: ops.port, logger, resources, close: closeOnce(resources), exposed: wiring.exposed as Exposed };
}

/** The consumer of the service's topics, its side outputs on the catalogue's schemas. */
function consumerOf<C extends ConsumingServiceConfig, T>(
  instance: string,
  kit: Omit<ServiceKit<C, boolean>, 'assignedPartitions'>,
  wiring: ConsumerWiring<T, unknown>,
): BatchConsumer<T> {
  const { config } = kit;
  return new BatchConsumer<T>({
    service: instance,
    groupId: config.CONSUMER_GROUP,
    kafka: kit.kafka,
    codecs: wiring.codecs,
    handler: kit.redis ? replicatedBeforeCommit(wiring.handler, kit.redis, kit.logger) : wiring.handler,
    producer: kit.producer,
    deadLetters: kit.codec(config.DLQ_TOPIC, TOPICS.deadLetters),
    lateRecords: kit.codec(config.LATE_TOPIC, TOPICS.late),
    metrics: kit.metrics,
    logger: kit.logger,
    concurrency: config.CONSUMER_CONCURRENCY,
    ...(wiring.maxRecordsPerCommit === undefined ? {} : { maxRecordsPerCommit: wiring.maxRecordsPerCommit }),
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
  });
}

/** Everything the service's parts are built from, in the order they are opened: the schema is migrated first. */
async function openKit<C extends ConsumingServiceConfig, WithRedis extends boolean>(
  options: Pick<
    ConsumingServiceOptions<C, never, never, WithRedis>,
    'name' | 'config' | 'logger' | 'clientId' | 'migrations' | 'redis'
  >,
): Promise<Omit<ServiceKit<C, WithRedis>, 'assignedPartitions'>> {
  const { name, config } = options;
  const logger = options.logger ?? createLogger(name, config.LOG_LEVEL);
  const metrics = createMetrics(name);
  for (const set of options.migrations)
    await migrate({ databaseUrl: config.DATABASE_URL, schema: config.DB_SCHEMA, ...set, log: (m) => logger.debug(m) });

  const redis = (options.redis ? createRedis(config.REDIS_URL, name, config) : undefined) as ServiceKit<
    C,
    WithRedis
  >['redis'];
  const pool = createPool(config.DATABASE_URL);
  const registry = createSchemaRegistry(config.SCHEMA_REGISTRY_URL);
  const clientId = options.clientId ?? config.KAFKA_CLIENT_ID;
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId, logger });
  const producer = new TypedProducer(kafka);
  await producer.connect();
  const codec: ServiceKit<C, WithRedis>['codec'] = (topicName, contract) =>
    topicCodecFor(registry, topicName, contract);
  return { config, logger, metrics, pool, redis, kafka, producer, registry, codec };
}

/** How long a batch waits for the replicas of a Redis Cluster's primaries before it commits anyway. */
const REPLICA_WAIT_MS = 1000;

/**
 * The handler, then (on a Redis Cluster) until its Redis writes reached the replicas: the runtime commits the
 * batch's offsets only after both, so a primary's crash and failover loses nothing a committed batch wrote.
 */
function replicatedBeforeCommit<T>(handler: BatchHandler<T>, redis: Redis, logger: Logger): BatchHandler<T> {
  return async (batch) => {
    const outcome = await handler(batch);
    const unconfirmed = await awaitReplicas(redis, REPLICA_WAIT_MS);
    if (unconfirmed > 0)
      logger.warn(
        { primaries: unconfirmed },
        'Redis replicas did not confirm the batch’s writes in time (a replica down?)',
      );
    return outcome;
  };
}
