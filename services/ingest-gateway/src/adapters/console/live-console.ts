import type { Kafka } from 'kafkajs';
import type { Logger } from '@tally/observability';
import type { DeadLetter, GlobalResult, LateRecord, QueueEvent, TopicCodec, ViewerCountChanged } from '@tally/schemas';
import type { ReadOwner } from '../http/read-routing.js';
import { consoleFeed, servicesLag } from '../kafka/console-feed.js';
import { ConsoleHub } from './console-hub.js';
import { sideRecordsFeed } from './side-records-feed.js';

export interface LiveConsoleOptions {
  kafka: Kafka;
  changeTopics: {
    viewerCounts: TopicCodec<ViewerCountChanged>;
    pollResults: TopicCodec<GlobalResult>;
    queueEvents: TopicCodec<QueueEvent>;
  };
  /** The dead-letter and late topics (DLQ_TOPIC, LATE_TOPIC): counted per group beside its lag. */
  sideTopics: { deadLetters: TopicCodec<DeadLetter>; late: TopicCodec<LateRecord> };
  counterMaterializer: ReadOwner;
  queueAdmitter: ReadOwner;
  /** The consumer groups whose lag is shown. */
  lagGroups: readonly string[];
  logger: Logger;
}

export interface LiveConsole {
  hub: ConsoleHub;
  /** Resolves once the change topics are read (queue events are read from then on). */
  listening: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * The console's parts, started: the hub, the readers of the change topics and of the side topics feeding it, and a
 * Kafka admin for the lag, connected at its first use (a page opening) and again after a failure.
 */
export function startLiveConsole(options: LiveConsoleOptions): LiveConsole {
  const admin = options.kafka.admin();
  let connected: Promise<void> | undefined;
  const connect = () =>
    (connected ??= admin.connect().catch((error: unknown) => {
      connected = undefined;
      throw error;
    }));
  const hub = new ConsoleHub({
    counterMaterializer: options.counterMaterializer,
    queueAdmitter: options.queueAdmitter,
    readLag: async () => {
      await connect();
      return servicesLag(admin, options.lagGroups);
    },
    logger: options.logger,
  });
  const changes = consoleFeed({ kafka: options.kafka, hub, ...options.changeTopics, logger: options.logger });
  changes.start();
  const sideRecords = sideRecordsFeed({ kafka: options.kafka, hub, ...options.sideTopics, logger: options.logger });
  sideRecords.start();
  hub.start();
  return {
    hub,
    listening: () => changes.listening(),
    close: async () => {
      await changes.close();
      await sideRecords.close();
      hub.close();
      await admin.disconnect();
    },
  };
}
