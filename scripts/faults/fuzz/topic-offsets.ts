/** How many records the topics hold: the sum of their partitions' high watermarks, read with kafkajs admin. */
import { createLogger } from '@tally/observability';
import { createKafka } from '@tally/streaming';
import { DEFAULT_REGIONS, REGIONAL_TOPICS, TOPICS, regionalTopicName } from '@tally/contracts';

export interface GatewayTopicSettings {
  HEARTBEATS_TOPIC: string;
  ITEM_EVENTS_TOPIC: string;
  WALLET_COMMANDS_TOPIC: string;
  QUEUE_COMMANDS_TOPIC: string;
  POLL_DEFINITIONS_TOPIC: string;
  VOTE_REGIONS: string[];
  VOTE_BALLOTS_TOPIC_TEMPLATE: string;
}

/** The topics a gateway writes to when its environment names none: the catalogue's. */
const CATALOGUE_SETTINGS: GatewayTopicSettings = {
  HEARTBEATS_TOPIC: TOPICS.viewerHeartbeats.name,
  ITEM_EVENTS_TOPIC: TOPICS.itemEvents.name,
  WALLET_COMMANDS_TOPIC: TOPICS.walletCommands.name,
  QUEUE_COMMANDS_TOPIC: TOPICS.queueCommands.name,
  POLL_DEFINITIONS_TOPIC: TOPICS.pollDefinitions.name,
  VOTE_REGIONS: [...DEFAULT_REGIONS],
  VOTE_BALLOTS_TOPIC_TEMPLATE: REGIONAL_TOPICS.ballots.template,
};

/**
 * Every topic a gateway with these settings writes to (the catalogue's when none are given). Only these are
 * watched: the services' own output topics also move by themselves (a session or an admission expiring), so
 * counting them would blame the gateway for what a timer wrote.
 */
export function gatewayWriteTopics(settings: GatewayTopicSettings = CATALOGUE_SETTINGS): string[] {
  return [
    settings.HEARTBEATS_TOPIC,
    settings.ITEM_EVENTS_TOPIC,
    settings.WALLET_COMMANDS_TOPIC,
    settings.QUEUE_COMMANDS_TOPIC,
    settings.POLL_DEFINITIONS_TOPIC,
    ...settings.VOTE_REGIONS.map((region) => regionalTopicName(settings.VOTE_BALLOTS_TOPIC_TEMPLATE, region)),
  ];
}

/** A watched topic is not there: counting it as empty would report "nothing written" without looking. */
export class WatchedTopicMissingError extends Error {
  constructor(topics: string[], brokers: string[]) {
    super(
      `the topics ${topics.join(', ')} do not exist on ${brokers.join(',')}; pass the topics the gateway under test writes to`,
    );
    this.name = 'WatchedTopicMissingError';
  }
}

/** The number of records ever written to `topics`: the sum of their high watermarks. */
export async function recordsIn(brokers: string[], topics: readonly string[]): Promise<number> {
  const admin = createKafka({ brokers, clientId: 'tally-fuzz', logger: createLogger('fuzz', 'error') }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) throw new WatchedTopicMissingError(missing, brokers);
    let total = 0;
    for (const topic of topics) {
      for (const partition of await admin.fetchTopicOffsets(topic)) total += Number(partition.high);
    }
    return total;
  } finally {
    await admin.disconnect();
  }
}
