import { fileURLToPath } from 'node:url';
import { REGIONAL_TOPICS, TOPICS } from '@tally/contracts';
import { createLogger } from '@tally/observability';
import type { GlobalResult, TopicCodec } from '@tally/schemas';
import {
  startConsumingService,
  type ConsumingServiceOptions,
  type ServiceKit,
  type RunningService,
} from '@tally/service-kit';
import { resultRoutes } from './adapters/http.js';
import { MergerStore } from './adapters/postgres-merger.js';
import { RegionStore } from './adapters/postgres-region.js';
import type { VoteMergerConfig } from './config.js';
import { mergerHandler, type MergerRecord } from './merger.js';
import { regionHandler, type RegionRecord } from './region.js';

export interface RunningVoteMerger extends RunningService {
  /** The region's store (region role) or the merger's (merger role), for tests. */
  region?: RegionStore;
  merger?: MergerStore;
}

type Kit = ServiceKit<VoteMergerConfig, false>;
const migrationsOf = (role: 'region' | 'merger') => fileURLToPath(new URL(`../migrations/${role}`, import.meta.url));
const results = (store: RegionStore | MergerStore) => resultRoutes((pollId) => store.result(pollId));

/**
 * Config → adapters → runtime, for either role. Both roles are the same deployable; a deployment runs one
 * `region` instance set per region (in that region's network) and one `merger` set at the hub.
 */
export async function startVoteMerger(
  config: VoteMergerConfig,
  now: () => number = Date.now,
): Promise<RunningVoteMerger> {
  const role = config.VOTE_ROLE;
  const common = {
    name: 'vote-merger',
    instance: role === 'merger' ? 'vote-merger' : `vote-merger.${config.REGION}`,
    config,
    logger: createLogger('vote-merger', config.LOG_LEVEL).child({
      role,
      ...(role === 'region' ? { region: config.REGION } : {}),
    }),
    clientId: `${config.KAFKA_CLIENT_ID}.${role === 'merger' ? 'merger' : config.REGION}`,
    migrations: [{ dir: migrationsOf(role) }],
    redis: false,
  } satisfies Omit<ConsumingServiceOptions<VoteMergerConfig, never, never, false>, 'wire'>;

  if (role === 'region') {
    const { exposed: region, ...service } = await startConsumingService({ ...common, wire: regionRole(now) });
    return { ...service, region };
  }
  const { exposed: merger, ...service } = await startConsumingService({ ...common, wire: mergerRole(now) });
  return { ...service, merger };
}

/** Counts one region's ballots against the polls it knows, publishes its snapshots, and serves global results. */
const regionRole =
  (now: () => number) =>
  ({ config, pool, producer, codec, metrics }: Kit) => {
    const store = new RegionStore(pool, config.DB_SCHEMA, config.REGION, now);
    const { topics } = config;
    const ballots = topics.ballots(config.REGION);
    return {
      codecs: [
        codec(ballots, REGIONAL_TOPICS.ballots),
        codec(topics.polls, TOPICS.pollDefinitions),
        codec(topics.results, TOPICS.voteResults),
      ] as TopicCodec<RegionRecord>[],
      handler: regionHandler({
        region: config.REGION,
        store,
        producer,
        snapshots: codec(topics.snapshots(config.REGION), REGIONAL_TOPICS.snapshots),
        topics: { ballots, polls: topics.polls, results: topics.results },
        metrics,
      }),
      routes: results(store),
      exposed: store,
    };
  };

/** Merges the newest snapshot of every region into versioned global results. */
const mergerRole =
  (now: () => number) =>
  ({ config, pool, producer, codec }: Kit) => {
    const store = new MergerStore(pool, config.DB_SCHEMA, now);
    const { topics } = config;
    const regionOfTopic = new Map(config.VOTE_REGIONS.map((r) => [topics.snapshots(r), r]));
    return {
      codecs: [
        codec(topics.polls, TOPICS.pollDefinitions),
        ...[...regionOfTopic.keys()].map((t) => codec(t, REGIONAL_TOPICS.snapshots)),
      ] as TopicCodec<MergerRecord>[],
      handler: mergerHandler({
        store,
        producer,
        results: codec(topics.results, TOPICS.voteResults) as TopicCodec<GlobalResult>,
        pollsTopic: topics.polls,
        regionOfTopic,
      }),
      routes: results(store),
      exposed: store,
    };
  };
