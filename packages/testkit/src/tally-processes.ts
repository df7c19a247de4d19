import { DEFAULT_REGIONS, REGIONAL_TOPICS, TOPICS, regionalTopicName } from '@tally/contracts';
import { createTopicsWithSchemas } from './helpers.js';
import { stackEnvironment, startServiceProcess, type ServiceProcess } from './service-process.js';
import type { TestStack } from './stack.js';

export interface TallyProcessesOptions {
  /** A unique run name: topics, groups, Redis prefixes and Postgres schemas are named after it. */
  run: string;
  /** The region counter started (the gateway reads poll results from it). */
  region?: string;
  apiKey: { key: string; name: string; scopes: string[] };
  /** Extra gateway environment (e.g. a rate limit). */
  gatewayEnvironment?: Record<string, string>;
}

export interface TallyProcesses {
  topics: TopicNames;
  groups: ReturnType<typeof groupNames>;
  regions: readonly string[];
  region: string;
  /** The prefix of the services' Postgres schemas. */
  schema: string;
  /** Prometheus job name (as in deploy/prometheus/local.yml) → the service started for it. */
  byJob: Map<string, ServiceProcess>;
  gateway: ServiceProcess;
  stop: () => Promise<void>;
}

/**
 * Every topic of one Tally: the catalogue's names under `prefix`, so a run's topics say which of Tally's they
 * stand for (the regions' ballots and snapshots by the catalogue's `{region}` templates).
 */
export const tallyTopicNames = (prefix: string) => {
  const under = (name: string) => `${prefix}.${name}`;
  return {
    heartbeats: under(TOPICS.viewerHeartbeats.name),
    viewerCounts: under(TOPICS.viewerCounts.name),
    itemEvents: under(TOPICS.itemEvents.name),
    walletCommands: under(TOPICS.walletCommands.name),
    walletOutcomes: under(TOPICS.walletOutcomes.name),
    queueCommands: under(TOPICS.queueCommands.name),
    queueEvents: under(TOPICS.queueEvents.name),
    polls: under(TOPICS.pollDefinitions.name),
    results: under(TOPICS.voteResults.name),
    deadLetters: under(TOPICS.deadLetters.name),
    late: under(TOPICS.late.name),
    ballotsTemplate: under(REGIONAL_TOPICS.ballots.template),
    snapshotsTemplate: under(REGIONAL_TOPICS.snapshots.template),
  };
};

type TopicNames = ReturnType<typeof tallyTopicNames>;

/** The gateway's topics: what it writes to, and the change topics its console reads. */
export const gatewayTopicEnvironment = (topics: TopicNames): Record<string, string> => ({
  DLQ_TOPIC: topics.deadLetters,
  LATE_TOPIC: topics.late,
  HEARTBEATS_TOPIC: topics.heartbeats,
  ITEM_EVENTS_TOPIC: topics.itemEvents,
  WALLET_COMMANDS_TOPIC: topics.walletCommands,
  WALLET_OUTCOMES_TOPIC: topics.walletOutcomes,
  QUEUE_COMMANDS_TOPIC: topics.queueCommands,
  POLL_DEFINITIONS_TOPIC: topics.polls,
  VOTE_BALLOTS_TOPIC_TEMPLATE: topics.ballotsTemplate,
  VIEWER_COUNTS_TOPIC: topics.viewerCounts,
  QUEUE_EVENTS_TOPIC: topics.queueEvents,
  VOTE_RESULTS_TOPIC: topics.results,
});

const groupNames = (run: string, region: string) => ({
  aggregator: `${run}.viewer-aggregator`,
  materializer: `${run}.counter-materializer`,
  ledger: `${run}.wallet-ledger`,
  admitter: `${run}.queue-admitter`,
  region: `${run}.vote-${region}`,
  merger: `${run}.vote-merger`,
});

/** How long a service may take to be ready: six start at once on two cores, each compiling its TypeScript. */
const READY_TIMEOUT_MS = 150_000;

/**
 * All of Tally as separate processes, as deployed, on topics, groups, Redis prefixes and Postgres schemas of
 * their own: the gateway, viewer-aggregator, counter-materializer, wallet-ledger, queue-admitter, one vote-merger
 * region counter and the merger. Creates the topics (with their schemas) first.
 */
export async function startTallyProcesses(stack: TestStack, options: TallyProcessesOptions): Promise<TallyProcesses> {
  const { run } = options;
  const region = options.region ?? 'na';
  const prefix = `test.${run}`;
  const schema = run.replace(/[^a-z0-9]/g, '_');
  const topics = tallyTopicNames(prefix);
  const groups = groupNames(run, region);
  await createTallyTopics(stack, topics);

  const running: ServiceProcess[] = [];
  const byJob = new Map<string, ServiceProcess>();
  const stop = async () => void (await Promise.all(running.map((s) => s.stop('SIGTERM'))));
  const started = async (job: string, name: string, env: Record<string, string>) => {
    const service = await startServiceProcess(name, env, READY_TIMEOUT_MS);
    running.push(service);
    byJob.set(job, service);
    return service;
  };
  try {
    const envs = consumerEnvironments(stack, { run, region, topics, groups, schema });
    await Promise.all(Object.entries(envs).map(([job, { service, env }]) => started(job, service, env)));
    const url = (job: string) => byJob.get(job)!.url;
    const gateway = await started('ingest-gateway', 'ingest-gateway', {
      ...stackEnvironment(stack),
      TALLY_ENV: 'test',
      API_KEYS: JSON.stringify([options.apiKey]),
      // tests read from one address far faster than a person would; the limit itself is tested in the unit tier and the abuse suite
      ADDRESS_RATE_LIMIT_PER_SECOND: '1000000',
      ...gatewayTopicEnvironment(topics),
      CONSOLE_LAG_GROUPS: Object.values(groups).join(','),
      VOTE_REGIONS: DEFAULT_REGIONS.join(','),
      VIEWER_AGGREGATOR_URL: url('viewer-aggregator'),
      COUNTER_MATERIALIZER_URL: url('counter-materializer'),
      WALLET_LEDGER_URL: url('wallet-ledger'),
      QUEUE_ADMITTER_URL: url('queue-admitter'),
      VOTE_RESULTS_URL: url(`vote-merger-${region}`),
      ...options.gatewayEnvironment,
    });
    return { topics, groups, regions: DEFAULT_REGIONS, region, schema, byJob, gateway, stop };
  } catch (error) {
    // a service that did not start must not leave the others running
    await stop();
    throw error;
  }
}

/**
 * Each consuming service's process name and environment (Prometheus job → it), on the given topics, groups,
 * schemas (`<schema>_<service>`) and Redis prefixes (`test:<run>:<service>`).
 */
function consumerEnvironments(
  stack: TestStack,
  o: {
    run: string;
    region: string;
    topics: TopicNames;
    groups: ReturnType<typeof groupNames>;
    schema: string;
    queueRole?: string;
  },
) {
  const { topics, groups, schema, run, region } = o;
  const consumer = (group: string) => ({
    ...stackEnvironment(stack),
    CONSUMER_GROUP: group,
    DLQ_TOPIC: topics.deadLetters,
    LATE_TOPIC: topics.late,
  });
  const vote = (role: 'region' | 'merger') => ({
    ...consumer(role === 'region' ? groups.region : groups.merger),
    VOTE_ROLE: role,
    ...(role === 'region' ? { REGION: region } : {}),
    VOTE_REGIONS: DEFAULT_REGIONS.join(','),
    POLL_DEFINITIONS_TOPIC: topics.polls,
    VOTE_RESULTS_TOPIC: topics.results,
    VOTE_BALLOTS_TOPIC_TEMPLATE: topics.ballotsTemplate,
    VOTE_SNAPSHOTS_TOPIC_TEMPLATE: topics.snapshotsTemplate,
    DB_SCHEMA: `${schema}_${role === 'region' ? region : 'merger'}`,
  });
  return {
    'viewer-aggregator': {
      service: 'viewer-aggregator',
      env: {
        ...consumer(groups.aggregator),
        HEARTBEATS_TOPIC: topics.heartbeats,
        COUNTS_TOPIC: topics.viewerCounts,
        REDIS_PREFIX: `test:${run}:viewers`,
        DB_SCHEMA: `${schema}_viewers`,
      },
    },
    'counter-materializer': {
      service: 'counter-materializer',
      env: {
        ...consumer(groups.materializer),
        ITEM_EVENTS_TOPIC: topics.itemEvents,
        REDIS_PREFIX: `test:${run}:counters`,
        DB_SCHEMA: `${schema}_counters`,
      },
    },
    'wallet-ledger': {
      service: 'wallet-ledger',
      env: {
        ...consumer(groups.ledger),
        WALLET_COMMANDS_TOPIC: topics.walletCommands,
        WALLET_OUTCOMES_TOPIC: topics.walletOutcomes,
        DB_SCHEMA: `${schema}_wallet`,
      },
    },
    'queue-admitter': {
      service: 'queue-admitter',
      env: {
        ...consumer(groups.admitter),
        QUEUE_COMMANDS_TOPIC: topics.queueCommands,
        QUEUE_EVENTS_TOPIC: topics.queueEvents,
        REDIS_PREFIX: `test:${run}:queue`,
        DB_SCHEMA: `${schema}_queue`,
        ...(o.queueRole ? { QUEUE_ROLE: o.queueRole } : {}),
      },
    },
    [`vote-merger-${region}`]: { service: 'vote-merger', env: vote('region') },
    'vote-merger-merger': { service: 'vote-merger', env: vote('merger') },
  } as Record<string, { service: string; env: Record<string, string> }>;
}

/**
 * A second copy of every consuming service on the same topics, with fresh groups, Postgres schemas and Redis
 * prefixes (named after `suffix`), as an operator rebuilds state from the topics beside the live deployment:
 * each reads every topic from the beginning into empty state. The queue's copy runs as a follower (it applies
 * the admission decisions in the log and makes none). Keyed by Prometheus job, like `byJob`.
 */
export async function startRebuildProcesses(
  stack: TestStack,
  tally: TallyProcesses,
  suffix: string,
): Promise<{ byJob: Map<string, ServiceProcess>; groups: ReturnType<typeof groupNames>; stop: () => Promise<void> }> {
  const run = `${tally.schema}-${suffix}`;
  const groups = groupNames(run, tally.region);
  const envs = consumerEnvironments(stack, {
    run,
    region: tally.region,
    topics: tally.topics,
    groups,
    schema: `${tally.schema}_${suffix}`,
    queueRole: 'follower',
  });
  const byJob = new Map<string, ServiceProcess>();
  const running = await Promise.allSettled(
    Object.entries(envs).map(async ([job, { service, env }]) =>
      byJob.set(job, await startServiceProcess(service, env, READY_TIMEOUT_MS)),
    ),
  );
  const stop = async () => void (await Promise.all([...byJob.values()].map((s) => s.stop('SIGTERM'))));
  const failed = running.find((r) => r.status === 'rejected');
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  return { byJob, groups, stop };
}

async function createTallyTopics(stack: TestStack, topics: TopicNames): Promise<void> {
  await createTopicsWithSchemas(stack, [
    { name: topics.heartbeats, partitions: 2, schema: TOPICS.viewerHeartbeats.valueSchema },
    { name: topics.viewerCounts, partitions: 2, schema: TOPICS.viewerCounts.valueSchema },
    { name: topics.itemEvents, partitions: 2, schema: TOPICS.itemEvents.valueSchema },
    { name: topics.walletCommands, partitions: 2, schema: TOPICS.walletCommands.valueSchema },
    { name: topics.walletOutcomes, partitions: 2, schema: TOPICS.walletOutcomes.valueSchema },
    { name: topics.queueCommands, partitions: 2, schema: TOPICS.queueCommands.valueSchema },
    { name: topics.queueEvents, partitions: 2, schema: TOPICS.queueEvents.valueSchema },
    { name: topics.polls, partitions: 1, schema: TOPICS.pollDefinitions.valueSchema },
    { name: topics.results, partitions: 1, schema: TOPICS.voteResults.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
    { name: topics.late, partitions: 1, schema: TOPICS.late.valueSchema },
    ...DEFAULT_REGIONS.flatMap((r) => [
      {
        name: regionalTopicName(topics.ballotsTemplate, r),
        partitions: 2,
        schema: REGIONAL_TOPICS.ballots.valueSchema,
      },
      {
        name: regionalTopicName(topics.snapshotsTemplate, r),
        partitions: 1,
        schema: REGIONAL_TOPICS.snapshots.valueSchema,
      },
    ]),
  ]);
}
