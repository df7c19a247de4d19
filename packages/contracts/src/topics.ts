import type { SchemaName } from '@tally/schemas';

/**
 * Every Kafka topic of Tally, declared once. Services take their default topic names from here, the stack CLI
 * creates topics from here, and deploy/topics.yaml is generated from here (`pnpm gen:topics`).
 */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicContract {
  /** The topic's name on the broker. */
  name: string;
  /** What a record's key is: records with the same key go to one partition, in order. */
  key: string;
  /** The Avro record every value holds (its subject is `<name>-value`). */
  valueSchema: SchemaName;
  partitions: number;
  /** How long records are kept: like 500ms, 30s, 15m, 12h, 7d, or forever. */
  retention: string;
  cleanupPolicy: CleanupPolicy;
  doc: string;
}

const topic = <T extends TopicContract>(contract: T): T => contract;

export const TOPICS = {
  deadLetters: topic({
    name: 'tally.dead-letters',
    key: 'the failed record’s key',
    valueSchema: 'tally.platform.DeadLetter',
    partitions: 3,
    retention: '30d',
    cleanupPolicy: 'delete',
    doc: 'Records a consumer could not decode or apply, with the reason, source topic, partition and offset.',
  }),
  late: topic({
    name: 'tally.late',
    key: 'the late record’s key',
    valueSchema: 'tally.platform.LateRecord',
    partitions: 3,
    retention: '30d',
    cleanupPolicy: 'delete',
    doc: 'Records set aside as too late for a windowed result (after its allowed lateness) or for the idempotency record, with the reason, the windows missed, and the original bytes. The side output of every consumer.',
  }),
  viewerHeartbeats: topic({
    name: 'tally.viewers.heartbeats',
    key: 'streamId (a hot stream: streamId#shard, see viewer-shards.ts)',
    valueSchema: 'tally.viewers.Heartbeat',
    partitions: 12,
    retention: '7d',
    cleanupPolicy: 'delete',
    doc: 'Player heartbeats from the gateway, keyed by streamId (a hot stream by streamId#<shard of the session>).',
  }),
  viewerCounts: topic({
    name: 'tally.viewers.counts',
    key: 'streamId',
    valueSchema: 'tally.viewers.ViewerCountChanged',
    partitions: 12,
    retention: '7d',
    cleanupPolicy: 'compact,delete',
    doc: 'Viewer-count changes per stream from viewer-aggregator, keyed by streamId; compacted to the latest count.',
  }),
  itemEvents: topic({
    name: 'tally.counters.events',
    key: 'itemId',
    valueSchema: 'tally.counters.ItemEvent',
    partitions: 12,
    retention: '7d',
    cleanupPolicy: 'delete',
    doc: 'Likes, unlikes, views and counter increments from the gateway, keyed by itemId.',
  }),
  walletCommands: topic({
    name: 'tally.wallet.commands',
    key: 'userId',
    valueSchema: 'tally.wallet.WalletCommand',
    partitions: 12,
    retention: '7d',
    cleanupPolicy: 'delete',
    doc: 'Credits and debits (grants expanded to one per user) from the gateway, keyed by userId.',
  }),
  walletOutcomes: topic({
    name: 'tally.wallet.outcomes',
    key: 'userId',
    valueSchema: 'tally.wallet.WalletOutcome',
    partitions: 12,
    retention: '1d',
    cleanupPolicy: 'delete',
    doc: 'Outcome of each wallet command from wallet-ledger (applied or rejected, balance after), keyed by userId.',
  }),
  queueCommands: topic({
    name: 'tally.queue.commands',
    key: 'queueId',
    valueSchema: 'tally.queue.QueueCommand',
    partitions: 12,
    retention: '7d',
    cleanupPolicy: 'delete',
    doc: 'Queue configuration, joins, leaves and completions from the gateway, keyed by queueId (arrival order).',
  }),
  queueEvents: topic({
    name: 'tally.queue.events',
    key: 'queueId',
    valueSchema: 'tally.queue.QueueEvent',
    partitions: 12,
    retention: '7d',
    cleanupPolicy: 'delete',
    doc: 'Admissions and expiries (and leaves and completions) from queue-admitter, keyed by queueId.',
  }),
  pollDefinitions: topic({
    name: 'tally.votes.polls',
    key: 'pollId',
    valueSchema: 'tally.votes.PollDefinition',
    partitions: 3,
    retention: '365d',
    cleanupPolicy: 'compact',
    doc: 'Poll definitions (options, region weights) from the gateway, keyed by pollId; compacted to the newest. Read by every region and the merger.',
  }),
  voteResults: topic({
    name: 'tally.votes.results',
    key: 'pollId',
    valueSchema: 'tally.votes.GlobalResult',
    partitions: 3,
    retention: '365d',
    cleanupPolicy: 'compact',
    doc: 'Versioned global results from vote-merger, keyed by pollId; compacted to the newest. Served by every region.',
  }),
} as const satisfies Record<string, TopicContract>;

export type TopicId = keyof typeof TOPICS;

/** Where a regional topic's name holds its region id. */
export const REGION_PLACEHOLDER = '{region}';

export interface RegionalTopicContract extends Omit<TopicContract, 'name' | 'doc'> {
  /** The name with `{region}` where the region id goes, e.g. `{region}.tally.votes.ballots`. */
  template: string;
  doc: (region: string) => string;
}

/** Topics each region has its own of: a region's ballots never leave it; its snapshots are all that does. */
export const REGIONAL_TOPICS = {
  ballots: {
    template: `${REGION_PLACEHOLDER}.tally.votes.ballots`,
    key: 'pollId/userId',
    valueSchema: 'tally.votes.Ballot',
    partitions: 6,
    retention: '30d',
    cleanupPolicy: 'delete',
    doc: (region: string) =>
      `Votes taken in region ${region}, keyed by pollId/userId (a user's first ballot for a poll wins). Never leaves the region.`,
  },
  snapshots: {
    template: `${REGION_PLACEHOLDER}.tally.votes.snapshots`,
    key: 'pollId',
    valueSchema: 'tally.votes.RegionalTally',
    partitions: 3,
    retention: '30d',
    cleanupPolicy: 'compact',
    doc: (region: string) =>
      `Region ${region}'s counts per poll, keyed by pollId; compacted to the newest. The only topic that leaves the region.`,
  },
} as const satisfies Record<string, RegionalTopicContract>;

/**
 * Production values every topic is created with. The stack CLI caps them to the brokers a cluster has, so the
 * single-node local stack runs with 1 of each.
 */
export const TOPIC_DEFAULTS = { replicationFactor: 3, minInsyncReplicas: 2 } as const satisfies TopicDefaults;

export interface TopicDefaults {
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** The regions a deployment has unless VOTE_REGIONS says otherwise. */
export const DEFAULT_REGIONS = ['kr', 'jp', 'tw', 'na'] as const;

/** A regional topic's name for one region: the template with `{region}` replaced. */
export function regionalTopicName(template: string, region: string): string {
  return template.replaceAll(REGION_PLACEHOLDER, region);
}

/** Every topic a deployment with these regions has: the shared ones, then each region's. */
export function topicCatalogue(regions: readonly string[] = DEFAULT_REGIONS): TopicContract[] {
  const regional = regions.flatMap((region) =>
    Object.values(REGIONAL_TOPICS).map(({ template, doc, ...rest }) => ({
      ...rest,
      name: regionalTopicName(template, region),
      doc: doc(region),
    })),
  );
  return [...Object.values(TOPICS), ...regional];
}
