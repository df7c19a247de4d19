/**
 * The whole platform behind one gateway, for the gateway benchmark: every service the gateway writes to or
 * reads from, each its own process, on topics, consumer groups, Postgres schemas and Redis prefixes of this
 * run only, so nothing another run or person uses is touched, and everything is removed at the end.
 */
import { valueSubject } from '@tally/schemas';
import {
  createTopicsWithSchemas,
  freePort,
  gatewayTopicEnvironment,
  tallyTopicNames,
  type ServiceProcess,
  type TestStack,
} from '@tally/testkit';
import { REGIONAL_TOPICS, SCOPES, TOPICS, regionalTopicName } from '@tally/contracts';
import { benchKafka, benchServices, cleanUp } from '../lib.js';

/** Two regions keep the region → merger → region path real while leaving the 2 cores to the gateway. */
export const REGIONS = ['kr', 'jp'] as const;
export const API_KEY = 'bench-gateway-key-0123456789abcdef';

/** The reads the gateway routes, by owner: what a read measured through the gateway is compared with. */
export interface Owners {
  viewerAggregator: string;
  counterMaterializer: string;
  walletLedger: string;
  queueAdmitter: string;
  /** The region whose copy of the world results this gateway serves. */
  voteResults: string;
}

/** Everything started and created for one run, named after `run` (lower-case letters, digits and _). */
export interface Deployment {
  gateway: ServiceProcess;
  owners: Owners;
  /** Stops every service but the gateway, so the write phases measure the gateway and Kafka alone. */
  stopConsumers: () => Promise<void>;
  /** Stops everything still running and removes this run's topics, subjects, Postgres schemas and Redis keys. */
  tearDown: () => Promise<string[]>;
}

const SERVICES = ['viewers', 'counters', 'wallet', 'queue', ...REGIONS, 'merger'] as const;

/** The run's own topics, named as the testkit names a whole Tally's. */
const topicsOf = (run: string) => tallyTopicNames(`bench.${run}`);

type Topics = ReturnType<typeof topicsOf>;

function topicSpecs(topics: Topics) {
  return [
    { name: topics.heartbeats, partitions: 6, schema: TOPICS.viewerHeartbeats.valueSchema },
    { name: topics.viewerCounts, partitions: 3, schema: TOPICS.viewerCounts.valueSchema },
    { name: topics.itemEvents, partitions: 6, schema: TOPICS.itemEvents.valueSchema },
    { name: topics.walletCommands, partitions: 6, schema: TOPICS.walletCommands.valueSchema },
    { name: topics.walletOutcomes, partitions: 3, schema: TOPICS.walletOutcomes.valueSchema },
    { name: topics.queueCommands, partitions: 4, schema: TOPICS.queueCommands.valueSchema },
    { name: topics.queueEvents, partitions: 2, schema: TOPICS.queueEvents.valueSchema },
    { name: topics.polls, partitions: 2, schema: TOPICS.pollDefinitions.valueSchema },
    { name: topics.results, partitions: 2, schema: TOPICS.voteResults.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
    ...REGIONS.flatMap((r) => [
      {
        name: regionalTopicName(topics.ballotsTemplate, r),
        partitions: 4,
        schema: REGIONAL_TOPICS.ballots.valueSchema,
      },
      {
        name: regionalTopicName(topics.snapshotsTemplate, r),
        partitions: 2,
        schema: REGIONAL_TOPICS.snapshots.valueSchema,
      },
    ]),
  ];
}

type Services = ReturnType<typeof benchServices>;

/** What every owner shares: its own group, Postgres schema and Redis prefix, this run's dead letters. */
function ownerEnvironment(run: string, topics: Topics, service: (typeof SERVICES)[number], port: number) {
  return {
    PORT: String(port),
    CONSUMER_GROUP: `${run}.${service}`,
    DB_SCHEMA: `${run}_${service}`,
    REDIS_PREFIX: `bench:${run}:${service}`,
    DLQ_TOPIC: topics.deadLetters,
  };
}

async function startOwners(
  services: Services,
  run: string,
  topics: Topics,
): Promise<{ owners: Owners; processes: ServiceProcess[] }> {
  const ports = Object.fromEntries(
    await Promise.all(SERVICES.map(async (s) => [s, await freePort()] as const)),
  ) as Record<(typeof SERVICES)[number], number>;
  const env = (service: (typeof SERVICES)[number]) => ownerEnvironment(run, topics, service, ports[service]);
  const votes = {
    VOTE_REGIONS: REGIONS.join(','),
    POLL_DEFINITIONS_TOPIC: topics.polls,
    VOTE_RESULTS_TOPIC: topics.results,
    VOTE_BALLOTS_TOPIC_TEMPLATE: topics.ballotsTemplate,
    VOTE_SNAPSHOTS_TOPIC_TEMPLATE: topics.snapshotsTemplate,
  };
  const starting = await Promise.allSettled([
    // a long window keeps the seeded viewers current for the whole run
    services.start('viewer-aggregator', {
      ...env('viewers'),
      HEARTBEATS_TOPIC: topics.heartbeats,
      COUNTS_TOPIC: topics.viewerCounts,
      VIEWER_WINDOW_SECONDS: '3600',
    }),
    services.start('counter-materializer', { ...env('counters'), ITEM_EVENTS_TOPIC: topics.itemEvents }),
    services.start('wallet-ledger', {
      ...env('wallet'),
      WALLET_COMMANDS_TOPIC: topics.walletCommands,
      WALLET_OUTCOMES_TOPIC: topics.walletOutcomes,
    }),
    services.start('queue-admitter', {
      ...env('queue'),
      QUEUE_COMMANDS_TOPIC: topics.queueCommands,
      QUEUE_EVENTS_TOPIC: topics.queueEvents,
    }),
    ...REGIONS.map((region) =>
      services.start('vote-merger', { ...env(region), ...votes, VOTE_ROLE: 'region', REGION: region }),
    ),
    services.start('vote-merger', { ...env('merger'), ...votes, VOTE_ROLE: 'merger' }),
  ]);
  const failed = starting.find((s) => s.status === 'rejected');
  if (failed) throw failed.reason;
  const processes = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const url = (service: (typeof SERVICES)[number]) => `http://127.0.0.1:${ports[service]}`;
  const owners = {
    viewerAggregator: url('viewers'),
    counterMaterializer: url('counters'),
    walletLedger: url('wallet'),
    queueAdmitter: url('queue'),
    voteResults: url(REGIONS[0]),
  };
  return { owners, processes };
}

/** The service under test: it also gets this process's BENCH_<NAME> variables as <NAME> (lib.ts), e.g. a profiler. */
function startGateway(services: Services, topics: Topics, owners: Owners): Promise<ServiceProcess> {
  const env = {
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([{ key: API_KEY, name: 'bench', scopes: SCOPES }]),
    // far above what 2 cores can send: the benchmark measures the gateway, not its limiter
    RATE_LIMIT_PER_SECOND: '100000000',
    ADDRESS_RATE_LIMIT_PER_SECOND: '100000000',
    CONNECTIONS_PER_ADDRESS: '100000',
    // this run's topics, the console's change topics included, not the stack's
    ...gatewayTopicEnvironment(topics),
    VOTE_REGIONS: REGIONS.join(','),
    VIEWER_AGGREGATOR_URL: owners.viewerAggregator,
    COUNTER_MATERIALIZER_URL: owners.counterMaterializer,
    WALLET_LEDGER_URL: owners.walletLedger,
    QUEUE_ADMITTER_URL: owners.queueAdmitter,
    VOTE_RESULTS_URL: owners.voteResults,
  };
  return services.start('ingest-gateway', env, { underTest: true });
}

/** Each step of the clean-up runs even if an earlier one failed; what failed is returned, to be reported. */
async function removeRunState(stack: TestStack, run: string, topics: Topics): Promise<string[]> {
  const problems: string[] = [];
  const attempt = (what: string, work: () => Promise<unknown>) =>
    work().catch((error: unknown) => problems.push(`${what}: ${String(error)}`));
  const names = topicSpecs(topics).map((t) => t.name);
  await attempt('removing topics, consumer groups, Postgres schemas and Redis keys', () =>
    cleanUp(stack, benchKafka(stack), {
      topics: names,
      groups: SERVICES.map((s) => `${run}.${s}`),
      schemas: SERVICES.map((s) => `${run}_${s}`),
      redisPrefix: `bench:${run}`,
    }),
  );
  for (const subject of names.map(valueSubject))
    await attempt(`deleting subject ${subject}`, () => deleteSubject(stack.registryUrl, subject));
  return problems;
}

/** Soft, then permanent: the Confluent API refuses a permanent delete of a subject not soft-deleted first. */
async function deleteSubject(registryUrl: string, subject: string): Promise<void> {
  for (const query of ['', '?permanent=true']) {
    const response = await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}${query}`, {
      method: 'DELETE',
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok && response.status !== 404) throw new Error(`HTTP ${response.status} ${await response.text()}`);
  }
}

export async function deploy(stack: TestStack, run: string): Promise<Deployment> {
  const topics = topicsOf(run);
  await createTopicsWithSchemas(stack, topicSpecs(topics));
  const services = benchServices(stack);
  try {
    const { owners, processes } = await startOwners(services, run, topics);
    const gateway = await startGateway(services, topics, owners);
    return {
      gateway,
      owners,
      stopConsumers: async () => void (await Promise.all(processes.map((p) => p.stop('SIGTERM')))),
      tearDown: async () => {
        await services.stopAll();
        return removeRunState(stack, run, topics);
      },
    };
  } catch (error) {
    // every service that did start, and everything created for the run
    await services.stopAll();
    await removeRunState(stack, run, topics);
    throw error;
  }
}
