import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@tally/observability';
import type { DeadLetter, LateRecord, TopicCodec } from '@tally/schemas';
import { BackgroundReader } from '../kafka/background-reader.js';
import type { ConsoleHub } from './console-hub.js';

export interface SideRecordsFeedOptions {
  kafka: Kafka;
  hub: ConsoleHub;
  deadLetters: TopicCodec<DeadLetter>;
  late: TopicCodec<LateRecord>;
  logger: Logger;
}

/**
 * The dead-letter and late topics, read from the beginning for the lag panel's counts per consumer group.
 *
 * Why read them rather than take their end offsets, which the lag admin could fetch for free: both topics are
 * shared by every service, partitioned by the original record's key (dead letters) or its coordinates (late
 * records), so an offset says nothing about whose record it is; retention moves the start, so end minus start is
 * not even a total; and both are written at least once, so a record reported twice would count twice. Reading
 * them tells each record's group and reason and lets a repeat be recognised. It is cheap because side records are
 * few (each is a failure or a straggler, not traffic), and it is one consumer per gateway instance, in a group of
 * its own that commits nothing, like the console's change-topic reader.
 */
export function sideRecordsFeed(options: SideRecordsFeedOptions): BackgroundReader {
  const { hub, deadLetters, late } = options;
  const log = options.logger.child({ component: 'console-side-records' });
  const apply: Record<string, (message: KafkaMessage) => Promise<void>> = {
    [deadLetters.topic]: async (m) => hub.sideRecord('deadLettered', await deadLetters.decode(m.value)),
    [late.topic]: async (m) => hub.sideRecord('late', await late.decode(m.value)),
  };
  return new BackgroundReader({
    kafka: options.kafka,
    groupPrefix: 'ingest-gateway-console-side',
    subscriptions: [{ topics: [deadLetters.topic, late.topic], fromBeginning: true }],
    // the console is a view: a record it cannot read is left out of the counts (and said so in the log)
    onMessage: (topic, message) =>
      apply[topic]!(message).catch((error: unknown) =>
        log.warn({ err: error, topic, offset: message.offset }, 'skipped a side record the console could not decode'),
      ),
    meanwhile: 'the console shows no dead-lettered or late counts until it can',
    logger: options.logger,
  });
}
