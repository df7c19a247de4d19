import type { FastifyInstance } from 'fastify';
import { createLogger, createMetrics, type Logger } from '@tally/observability';
import { createSchemaRegistry, topicCodec, type Ballot, type WalletOutcome } from '@tally/schemas';
import { TypedProducer, createKafka, type ServiceResource } from '@tally/streaming';
import { startLiveConsole } from './adapters/console/live-console.js';
import { WalletOutcomeFeed } from './adapters/kafka/outcome-waiter.js';
import { KafkaConnection } from './adapters/kafka/record-writer.js';
import { buildGateway } from './adapters/http/gateway.js';
import type { GatewayConfig } from './config.js';
import { ApiKeyring, DEV_API_KEY } from './domain/api-keys.js';
import { OutcomeWaiters } from './domain/outcome-waiters.js';
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
  const heartbeatCodec = topicCodec(registry, config.HEARTBEATS_TOPIC, 'tally.viewers.Heartbeat');
  const itemEventCodec = topicCodec(registry, config.ITEM_EVENTS_TOPIC, 'tally.counters.ItemEvent');
  const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID, logger });
  const connection = new KafkaConnection(
    new TypedProducer(kafka, { ackTimeoutMs: config.KAFKA_ACK_TIMEOUT_MS }),
    config.KAFKA_ACK_TIMEOUT_MS,
  );
  connection
    .connect()
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'Kafka is not reachable yet; writes answer 503 until it is'),
    );
  const liveConsole = startLiveConsole({
    kafka,
    changeTopics: {
      viewerCounts: topicCodec(registry, config.VIEWER_COUNTS_TOPIC, 'tally.viewers.ViewerCountChanged'),
      pollResults: topicCodec(registry, config.VOTE_RESULTS_TOPIC, 'tally.votes.GlobalResult'),
      queueEvents: topicCodec(registry, config.QUEUE_EVENTS_TOPIC, 'tally.queue.QueueEvent'),
    },
    sideTopics: {
      deadLetters: topicCodec(registry, config.DLQ_TOPIC, 'tally.platform.DeadLetter'),
      late: topicCodec(registry, config.LATE_TOPIC, 'tally.platform.LateRecord'),
    },
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
    codec: topicCodec(registry, config.WALLET_OUTCOMES_TOPIC, 'tally.wallet.WalletOutcome'),
    waiters: walletOutcomes,
    logger,
    onOutcomeFor: (userId) => liveConsole.hub.walletOutcomeFor(userId),
  });
  // in the background, like the producer's connection: the gateway starts, and serves, while Kafka is down
  outcomeFeed.start();
  // each region's ballots on a topic of its own (in VOTE_REGIONS order), so a region's votes never leave it
  const regionBallots = new Map(
    config.VOTE_REGIONS.map((region) => [
      region,
      connection.writer<Ballot>(
        topicCodec(registry, ballotsTopic(config.VOTE_BALLOTS_TOPIC_TEMPLATE, region), 'tally.votes.Ballot'),
      ),
    ]),
  );

  const app = await buildGateway({
    logger,
    metrics,
    keyring: new ApiKeyring(config.apiKeys.keys),
    heartbeats: connection.writer(heartbeatCodec),
    itemEvents: connection.writer(itemEventCodec),
    walletCommands: connection.writer(topicCodec(registry, config.WALLET_COMMANDS_TOPIC, 'tally.wallet.WalletCommand')),
    walletOutcomes,
    walletWaitMs: config.WALLET_WAIT_MS,
    queueCommands: connection.writer(topicCodec(registry, config.QUEUE_COMMANDS_TOPIC, 'tally.queue.QueueCommand')),
    pollDefinitions: connection.writer(
      topicCodec(registry, config.POLL_DEFINITIONS_TOPIC, 'tally.votes.PollDefinition'),
    ),
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
    console: { hub: liveConsole.hub, streamsPerKey: config.CONSOLE_STREAMS_PER_KEY },
    readiness: [
      { name: 'kafka', check: () => connection.connect() },
      { name: 'schema-registry', check: async () => void (await heartbeatCodec.writerSchemaId()) },
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
