import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@tally/observability';
import type { GlobalResult, QueueEvent, TopicCodec, ViewerCountChanged } from '@tally/schemas';
import { consumerLag } from '@tally/streaming';
import type { GroupLag } from '../../domain/console-view.js';
import type { ConsoleHub } from '../console/console-hub.js';
import { BackgroundReader } from './background-reader.js';

export interface ConsoleFeedOptions {
  kafka: Kafka;
  hub: ConsoleHub;
  viewerCounts: TopicCodec<ViewerCountChanged>;
  pollResults: TopicCodec<GlobalResult>;
  queueEvents: TopicCodec<QueueEvent>;
  logger: Logger;
}

/**
 * The services' change topics, read for the console: viewer counts and poll results are compacted to the newest
 * per key, so they are read from the beginning (a page opened now shows every stream and poll); queue events are
 * read from now on (the admission rate only looks back a minute).
 */
export function consoleFeed(options: ConsoleFeedOptions): BackgroundReader {
  const { hub, viewerCounts, pollResults, queueEvents } = options;
  const log = options.logger.child({ component: 'console-feed' });
  const apply: Record<string, (message: KafkaMessage) => Promise<void>> = {
    [viewerCounts.topic]: async (m) => hub.viewerCountChanged(await viewerCounts.decode(m.value)),
    [pollResults.topic]: async (m) => hub.pollResult(await pollResults.decode(m.value)),
    [queueEvents.topic]: async (m) => hub.queueEvent(await queueEvents.decode(m.value)),
  };
  return new BackgroundReader({
    kafka: options.kafka,
    groupPrefix: 'ingest-gateway-console',
    subscriptions: [
      { topics: [viewerCounts.topic, pollResults.topic], fromBeginning: true },
      { topics: [queueEvents.topic], fromBeginning: false },
    ],
    // the console is a view: a record it cannot read is skipped (the owning service dead-letters its own input)
    onMessage: (topic, message) =>
      apply[topic]!(message).catch((error: unknown) =>
        log.warn({ err: error, topic, offset: message.offset }, 'skipped a change the console could not decode'),
      ),
    meanwhile: 'the console shows no live changes until it can',
    logger: options.logger,
  });
}

/** The lag of the services' consumer groups, per group with its partitions, for the console. */
export async function servicesLag(admin: Admin, groups: readonly string[]): Promise<GroupLag[]> {
  return Promise.all(
    groups.map(async (group) => {
      const topics = (await admin.fetchOffsets({ groupId: group })).map((t) => t.topic);
      const partitions = topics.length === 0 ? [] : await consumerLag(admin, group, topics);
      return {
        group,
        lag: partitions.reduce((sum, p) => sum + p.lag, 0),
        partitions: partitions.map(({ topic, partition, lag }) => ({ topic, partition, lag })),
      };
    }),
  );
}
