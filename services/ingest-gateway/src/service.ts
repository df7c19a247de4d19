import type { FastifyInstance } from 'fastify';
import { createLogger, createMetrics, type Logger } from '@tally/observability';
import { REGIONAL_TOPICS, TOPICS } from '@tally/contracts';
import { createSchemaRegistry, topicCodec, type SchemaName, type WalletOutcome } from '@tally/schemas';
import { TypedProducer, createKafka, type ServiceResource } from '@tally/streaming';
import { startLiveConsole } from './adapters/console/live-console.js';
import { KafkaConnection } from './adapters/kafka/kafka-connection.js';
import { OutcomeWaiters } from './adapters/kafka/outcome-waiters.js';
import { WalletOutcomeFeed } from './adapters/kafka/wallet-outcome-feed.js';
import { buildGateway } from './adapters/http/gateway.js';
import type { GatewayConfig } from './config.js';
import { ApiKeyring, DEV_API_KEY } from './domain/api-keys.js';
import { ballotsTopic } from './domain/poll.js';

export interface RunningGateway {
  port: number;
  logger: Logger;
  app: FastifyInstance;
  /** In opening order; runService closes them in reverse (HTTP first, so no write arrives after Kafka is gone). */
  resources: ServiceResource[];
  /** Resolves once `?wait=true` can hear outcomes (tests wait for it; clients meanwhile get "pending"). */
  walletOutcomesListening: () => Promise<void>;
  /** Resolves once the console reads its change topics (queue events are read from then on). */
  consoleListening: () => Promise<void>;
  close: () => Promise<void>;
}

/** Config → adapters → a listening gateway. It starts even while Kafka is down: writes then answer 503. */
export async function startIngestGateway(
  config: GatewayConfig,
  options: { clock?: () => number } = {},
): Promise<RunningGateway> {
  const logger = createLogger('ingest-gateway', config.LOG_LEVEL);
  if (config.apiKeys.usingDevelopmentKey) {
    logger.warn(
      { apiKey: DEV_API_KEY },
      `API_KEYS is not set: accepting the development key "${DEV_API_KEY}" with every scope; production refuses to start like this`,
    );
  }
  if (config.ticketKey.usingDevelopmentKey)
    logger.warn(
      'TICKET_KEY is not set: ticket ids come from the public development key; production refuses to start like this',
    );
  const metrics = createMetrics('ingest-gateway');
  const registry = createSchemaRegistry(config.SCHEMA_REGISTRY_URL);
  const codecs = gatewayCodecs(registry, config);
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger });
  // each request ends by its own deadline; a batch outliving it has nobody waiting, so the producer gives up as late
  const connection = new KafkaConnection(new TypedProducer(kafka, { ackTimeoutMs: config.WRITE_DEADLINE_MS }));
  connection
    .connect()
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'Kafka is not reachable yet; writes answer 503 until it is'),
    );
  const liveConsole = startLiveConsole({
    kafka,
    changeTopics: codecs.changeTopics,
    sideTopics: codecs.sideTopics,
    counterMaterializer: {
      name: 'counter-materializer',
      baseUrl: config.COUNTER_MATERIALIZER_URL,
      timeoutMs: config.READ_TIMEOUT_MS,
    },
    queueAdmitter: { name: 'queue-admitter', baseUrl: config.QUEUE_ADMITTER_URL, timeoutMs: config.READ_TIMEOUT_MS },
    lagGroups: config.CONSOLE_LAG_GROUPS,
    logger,
  });
  const walletOutcomes = new OutcomeWaiters<WalletOutcome>();
  const outcomeFeed = new WalletOutcomeFeed({
    kafka,
    codec: codecs.walletOutcomes,
    waiters: walletOutcomes,
    logger,
    onOutcomeFor: (userId) => liveConsole.hub.walletOutcomeFor(userId),
  });
  // in the background, like the producer's connection: the gateway starts, and serves, while Kafka is down
  outcomeFeed.start();
  const regionBallots = new Map([...codecs.regionBallots].map(([region, codec]) => [region, connection.writer(codec)]));

  const app = await buildGateway({
    logger,
    metrics,
    keyring: new ApiKeyring(config.apiKeys.keys),
    heartbeats: connection.writer(codecs.heartbeats),
    streamShards: config.VIEWER_STREAM_SHARDS,
    itemEvents: connection.writer(codecs.itemEvents),
    walletCommands: connection.writer(codecs.walletCommands),
    walletOutcomes,
    assets: config.ASSETS,
    writeDeadlineMs: config.WRITE_DEADLINE_MS,
    queueCommands: connection.writer(codecs.queueCommands),
    pollDefinitions: connection.writer(codecs.pollDefinitions),
    regionBallots,
    viewerAggregator: { baseUrl: config.VIEWER_AGGREGATOR_URL, timeoutMs: config.READ_TIMEOUT_MS },
    counterMaterializer: { baseUrl: config.COUNTER_MATERIALIZER_URL, timeoutMs: config.READ_TIMEOUT_MS },
    walletLedger: { baseUrl: config.WALLET_LEDGER_URL, timeoutMs: config.READ_TIMEOUT_MS },
    queueAdmitter: { baseUrl: config.QUEUE_ADMITTER_URL, timeoutMs: config.READ_TIMEOUT_MS },
    voteMerger: { baseUrl: config.VOTE_RESULTS_URL, timeoutMs: config.READ_TIMEOUT_MS },
    ticketKey: config.ticketKey.key,
    limits: {
      perKeyPerSecond: config.RATE_LIMIT_PER_SECOND,
      perAddressPerSecond: config.ADDRESS_RATE_LIMIT_PER_SECOND,
      connectionsPerAddress: config.CONNECTIONS_PER_ADDRESS,
      trustedProxies: config.TRUSTED_PROXIES,
    },
    corsOrigins: config.CORS_ORIGINS,
    console: { hub: liveConsole.hub, streamsPerKey: config.CONSOLE_STREAMS_PER_KEY },
    readiness: [
      { name: 'kafka', check: () => connection.connect() },
      { name: 'schema-registry', check: async () => void (await codecs.heartbeats.writerSchemaId()) },
    ],
    ...(options.clock ? { clock: options.clock } : {}),
  });
  await app.listen({ port: config.PORT, host: config.HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info({ port, docs: '/docs' }, 'ingest-gateway listening');

  const resources: ServiceResource[] = [
    { name: 'kafka producer', close: () => connection.close() },
    { name: 'wallet outcome feed', close: () => outcomeFeed.close() },
    { name: 'live console', close: () => liveConsole.close() },
    { name: 'http server', close: () => app.close() },
  ];
  const close = async () => {
    for (const resource of [...resources].reverse()) await resource.close();
  };
  return {
    port,
    logger,
    app,
    resources,
    walletOutcomesListening: () => outcomeFeed.listening(),
    consoleListening: () => liveConsole.listening(),
    close,
  };
}

/**
 * The codec of every topic the gateway writes or reads: the names come from config (whose defaults are the
 * catalogue's), each value schema from the catalogue (@tally/contracts), so the two never disagree.
 */
function gatewayCodecs(registry: ReturnType<typeof createSchemaRegistry>, config: GatewayConfig) {
  const codec = <N extends SchemaName>(topic: string, schema: N) => topicCodec(registry, topic, schema);
  return {
    heartbeats: codec(config.HEARTBEATS_TOPIC, TOPICS.viewerHeartbeats.valueSchema),
    itemEvents: codec(config.ITEM_EVENTS_TOPIC, TOPICS.itemEvents.valueSchema),
    walletCommands: codec(config.WALLET_COMMANDS_TOPIC, TOPICS.walletCommands.valueSchema),
    walletOutcomes: codec(config.WALLET_OUTCOMES_TOPIC, TOPICS.walletOutcomes.valueSchema),
    queueCommands: codec(config.QUEUE_COMMANDS_TOPIC, TOPICS.queueCommands.valueSchema),
    pollDefinitions: codec(config.POLL_DEFINITIONS_TOPIC, TOPICS.pollDefinitions.valueSchema),
    // each region's ballots on a topic of its own (in VOTE_REGIONS order), so a region's votes never leave it
    regionBallots: new Map(
      config.VOTE_REGIONS.map((region) => [
        region,
        codec(ballotsTopic(config.VOTE_BALLOTS_TOPIC_TEMPLATE, region), REGIONAL_TOPICS.ballots.valueSchema),
      ]),
    ),
    changeTopics: {
      viewerCounts: codec(config.VIEWER_COUNTS_TOPIC, TOPICS.viewerCounts.valueSchema),
      pollResults: codec(config.VOTE_RESULTS_TOPIC, TOPICS.voteResults.valueSchema),
      queueEvents: codec(config.QUEUE_EVENTS_TOPIC, TOPICS.queueEvents.valueSchema),
    },
    sideTopics: {
      deadLetters: codec(config.DLQ_TOPIC, TOPICS.deadLetters.valueSchema),
      late: codec(config.LATE_TOPIC, TOPICS.late.valueSchema),
    },
  };
}
