/**
 * A gateway of the fuzz run's own, with the services it routes reads to, each a process as deployed, on
 * topics, consumer groups, schemas and Redis keys named after the run: the local stack's other users (the
 * default topics, other tests and benchmarks) see nothing of it.
 */
import { declaredTopics, stackEndpoints, stackUp } from '@tally/stack';
import { createTopicsWithSchemas, stackEnvironment, startServiceProcess, type ServiceProcess } from '@tally/testkit';
import type { TestStack } from '@tally/testkit';
import { DEFAULT_REGIONS, REGIONAL_TOPICS, SCOPES, TOPICS } from '@tally/contracts';
import { gatewayWriteTopics, type GatewayTopicSettings } from './topic-offsets.js';

export interface FuzzStack {
  gatewayUrl: string;
  apiKey: string;
  brokers: string[];
  /** The topics the gateway writes to: what phase (b) watches. */
  gatewayTopics: string[];
  stop: () => Promise<void>;
}

export async function startFuzzStack(log: (line: string) => void): Promise<FuzzStack> {
  await stackUp(() => undefined);
  const endpoints = stackEndpoints();
  const stack: TestStack = { ...endpoints, origin: 'local stack (already running)' };
  const run = `fuzz-${Date.now().toString(36)}`;
  // every topic of the catalogue, under the run's prefix, with the same value schema
  const topic = (name: string) => `fuzz.${run}.${name}`;
  await createTopicsWithSchemas(
    stack,
    declaredTopics().topics.map((t) => ({ name: topic(t.name), partitions: 2, schema: t.valueSchema })),
  );
  log(`topics fuzz.${run}.* created`);

  const running: ServiceProcess[] = [];
  const stop = async () => void (await Promise.all(running.map((s) => s.stop('SIGTERM'))));
  try {
    const owned = (service: string) => ({
      ...stackEnvironment(stack),
      CONSUMER_GROUP: `${run}-${service}`,
      DB_SCHEMA: `${run}_${service}`.replace(/[^a-z0-9]/g, '_'),
      REDIS_PREFIX: `fuzz:${run}:${service}`,
      DLQ_TOPIC: topic(TOPICS.deadLetters.name),
      LATE_TOPIC: topic(TOPICS.late.name),
    });
    const readers = await startAll(running, [
      startServiceProcess('viewer-aggregator', {
        ...owned('viewers'),
        HEARTBEATS_TOPIC: topic(TOPICS.viewerHeartbeats.name),
        COUNTS_TOPIC: topic(TOPICS.viewerCounts.name),
      }),
      startServiceProcess('counter-materializer', {
        ...owned('counters'),
        ITEM_EVENTS_TOPIC: topic(TOPICS.itemEvents.name),
      }),
      startServiceProcess('wallet-ledger', {
        ...owned('wallet'),
        WALLET_COMMANDS_TOPIC: topic(TOPICS.walletCommands.name),
        WALLET_OUTCOMES_TOPIC: topic(TOPICS.walletOutcomes.name),
      }),
      startServiceProcess('queue-admitter', {
        ...owned('queue'),
        QUEUE_COMMANDS_TOPIC: topic(TOPICS.queueCommands.name),
        QUEUE_EVENTS_TOPIC: topic(TOPICS.queueEvents.name),
      }),
      // the region counter serving this gateway's results (kr); the other regions' ballots just wait in their topics
      startServiceProcess('vote-merger', {
        ...owned('votes_kr'),
        VOTE_ROLE: 'region',
        REGION: 'kr',
        VOTE_REGIONS: DEFAULT_REGIONS.join(','),
        POLL_DEFINITIONS_TOPIC: topic(TOPICS.pollDefinitions.name),
        VOTE_RESULTS_TOPIC: topic(TOPICS.voteResults.name),
        VOTE_BALLOTS_TOPIC_TEMPLATE: topic(REGIONAL_TOPICS.ballots.template),
        VOTE_SNAPSHOTS_TOPIC_TEMPLATE: topic(REGIONAL_TOPICS.snapshots.template),
      }),
    ]);
    const [viewers, counters, wallet, queue, votes] = readers.map((s) => s.url);
    log('viewer-aggregator, counter-materializer, wallet-ledger, queue-admitter and vote-merger (kr) ready');

    const apiKey = `fuzz-key-${run}`;
    const topics: GatewayTopicSettings = {
      HEARTBEATS_TOPIC: topic(TOPICS.viewerHeartbeats.name),
      ITEM_EVENTS_TOPIC: topic(TOPICS.itemEvents.name),
      WALLET_COMMANDS_TOPIC: topic(TOPICS.walletCommands.name),
      QUEUE_COMMANDS_TOPIC: topic(TOPICS.queueCommands.name),
      POLL_DEFINITIONS_TOPIC: topic(TOPICS.pollDefinitions.name),
      VOTE_REGIONS: [...DEFAULT_REGIONS],
      VOTE_BALLOTS_TOPIC_TEMPLATE: topic(REGIONAL_TOPICS.ballots.template),
    };
    const gateway = await startServiceProcess('ingest-gateway', {
      ...stackEnvironment(stack),
      ...topics,
      VOTE_REGIONS: DEFAULT_REGIONS.join(','),
      WALLET_OUTCOMES_TOPIC: topic(TOPICS.walletOutcomes.name),
      TALLY_ENV: 'test',
      API_KEYS: JSON.stringify([{ key: apiKey, name: 'fuzz', scopes: SCOPES }]),
      // far above what the fuzzer sends, so requests reach validation instead of the limiter
      RATE_LIMIT_PER_SECOND: '1000000',
      WRITE_DEADLINE_MS: '2000',
      VIEWER_AGGREGATOR_URL: viewers!,
      COUNTER_MATERIALIZER_URL: counters!,
      WALLET_LEDGER_URL: wallet!,
      QUEUE_ADMITTER_URL: queue!,
      VOTE_RESULTS_URL: votes!,
    });
    running.push(gateway);
    log(`ingest-gateway ready at ${gateway.url}`);
    return { gatewayUrl: gateway.url, apiKey, brokers: stack.brokers, gatewayTopics: gatewayWriteTopics(topics), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Starts the services at once (they take seconds each), keeping whichever started in `running` so none is left behind. */
async function startAll(running: ServiceProcess[], starting: Promise<ServiceProcess>[]): Promise<ServiceProcess[]> {
  const settled = await Promise.allSettled(starting);
  const started = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  running.push(...started);
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
  return started;
}
