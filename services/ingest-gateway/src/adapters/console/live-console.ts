import type { Kafka } from 'kafkajs';
import type { Logger } from '@tally/observability';
import type { GlobalResult, QueueEvent, TopicCodec, ViewerCountChanged } from '@tally/schemas';
import type { ReadOwner } from '../http/read-routing.js';
import { consoleFeed, servicesLag } from '../kafka/console-feed.js';
import { ConsoleHub } from './console-hub.js';

export interface LiveConsoleOptions {
  kafka: Kafka;
  changeTopics: { viewerCounts: TopicCodec<ViewerCountChanged>; pollResults: TopicCodec<GlobalResult>; queueEvents: TopicCodec<QueueEvent> };
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
 * The console's parts, started: the hub, the reader of the change topics feeding it, and a Kafka admin for the
 * lag, connected at its first use (a page opening) and again after a failure.
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
  hub.start();
  return {
    hub,
    listening: () => changes.listening(),
    close: async () => {
      await changes.close();
      hub.close();
      await admin.disconnect();
    },
  };
}
