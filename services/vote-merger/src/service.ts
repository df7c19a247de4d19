import { fileURLToPath } from 'node:url';
import { createLogger, createMetrics, startOpsServer, type Logger } from '@tally/observability';
import { createSchemaRegistry, topicCodec, type GlobalResult, type TopicCodec } from '@tally/schemas';
import { createPool, migrate } from '@tally/storage';
import {
  BatchConsumer,
  TypedProducer,
  createKafka,
  closeOnce,
  consumingServiceResources,
  type ServiceResource,
} from '@tally/streaming';
import { resultRoutes } from './adapters/http.js';
import { MergerStore } from './adapters/postgres-merger.js';
import { RegionStore } from './adapters/postgres-region.js';
import type { VoteMergerConfig } from './config.js';
import { mergerHandler, type MergerRecord } from './merger.js';
import { regionHandler, type RegionRecord } from './region.js';

export interface RunningVotes {
  port: number;
  logger: Logger;
  resources: ServiceResource[];
  /** The region's store (region role) or the merger's (merger role), for tests. */
  region?: RegionStore;
  merger?: MergerStore;
  close: () => Promise<void>;
}

const migrationsOf = (role: 'region' | 'merger') => fileURLToPath(new URL(`../migrations/${role}`, import.meta.url));

/**
 * Config → adapters → runtime, for either role. Both roles are the same deployable; a deployment runs one
 * `region` instance set per region (in that region's network) and one `merger` set at the hub.
 */
export async function startVotes(config: VoteMergerConfig, now: () => number = Date.now): Promise<RunningVotes> {
  const role = config.VOTE_ROLE;
  const name = role === 'merger' ? 'vote-merger' : `vote-merger.${config.REGION}`;
  const logger = createLogger('vote-merger', config.LOG_LEVEL).child({
    role,
    ...(role === 'region' ? { region: config.REGION } : {}),
  });
  const metrics = createMetrics('vote-merger');
  await migrate({
    databaseUrl: config.DATABASE_URL,
    schema: config.DB_SCHEMA,
    dir: migrationsOf(role),
    log: (m) => logger.debug(m),
  });

  const pool = createPool(config.DATABASE_URL);
  const registry = createSchemaRegistry(config.SCHEMA_REGISTRY_URL);
  const kafka = createKafka({
    brokers: config.KAFKA_BROKERS,
    clientId: `${config.KAFKA_CLIENT_ID}.${role === 'merger' ? 'merger' : config.REGION}`,
    logger,
  });
  const producer = new TypedProducer(kafka);
  await producer.connect();
  const { topics } = config;
  const polls = topicCodec(registry, topics.polls, 'tally.votes.PollDefinition');
  const common = {
    service: name,
    groupId: config.CONSUMER_GROUP,
    kafka,
    producer,
    deadLetters: topicCodec(registry, config.DLQ_TOPIC, 'tally.platform.DeadLetter'),
    lateRecords: topicCodec(registry, config.LATE_TOPIC, 'tally.platform.LateRecord'),
    metrics,
    logger,
    concurrency: config.CONSUMER_CONCURRENCY,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
  };

  let consumer: BatchConsumer<RegionRecord> | BatchConsumer<MergerRecord>;
  let results: (pollId: string) => Promise<GlobalResult | undefined>;
  let regionStore: RegionStore | undefined;
  let mergerStore: MergerStore | undefined;
  if (role === 'region') {
    const store = (regionStore = new RegionStore(pool, config.DB_SCHEMA, config.REGION, now));
    const ballots = topics.ballots(config.REGION);
    consumer = new BatchConsumer<RegionRecord>({
      ...common,
      codecs: [
        topicCodec(registry, ballots, 'tally.votes.Ballot'),
        polls,
        topicCodec(registry, topics.results, 'tally.votes.GlobalResult'),
      ] as TopicCodec<RegionRecord>[],
      handler: regionHandler({
        region: config.REGION,
        store,
        producer,
        snapshots: topicCodec(registry, topics.snapshots(config.REGION), 'tally.votes.RegionalTally'),
        topics: { ballots, polls: topics.polls, results: topics.results },
        metrics,
      }),
    });
    results = (pollId) => store.result(pollId);
  } else {
    const store = (mergerStore = new MergerStore(pool, config.DB_SCHEMA, now));
    const regionOfTopic = new Map(config.VOTE_REGIONS.map((r) => [topics.snapshots(r), r]));
    consumer = new BatchConsumer<MergerRecord>({
      ...common,
      codecs: [
        polls,
        ...[...regionOfTopic.keys()].map((t) => topicCodec(registry, t, 'tally.votes.RegionalTally')),
      ] as TopicCodec<MergerRecord>[],
      handler: mergerHandler({
        store,
        producer,
        results: topicCodec(registry, topics.results, 'tally.votes.GlobalResult'),
        pollsTopic: topics.polls,
        regionOfTopic,
      }),
    });
    results = (pollId) => store.result(pollId);
  }
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
    routes: resultRoutes(results),
  });
  logger.info({ port: ops.port }, `${name} ready`);

  const resources = consumingServiceResources({ pool, producer, consumer, http: ops });
  return {
    port: ops.port,
    logger,
    resources,
    ...(regionStore ? { region: regionStore } : {}),
    ...(mergerStore ? { merger: mergerStore } : {}),
    close: closeOnce(resources),
  };
}
