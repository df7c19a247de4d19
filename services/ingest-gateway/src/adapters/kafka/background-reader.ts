import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@tally/observability';

export interface BackgroundReaderOptions {
  kafka: Kafka;
  /** The consumer group is this prefix plus a random suffix: one group per gateway instance. */
  groupPrefix: string;
  /** What is read, and from where: compacted state topics from the beginning, event topics from the newest record. */
  subscriptions: { topics: string[]; fromBeginning: boolean }[];
  onMessage: (topic: string, message: KafkaMessage) => Promise<void>;
  /** Said in the warning while Kafka or a topic is not there yet, e.g. "?wait=true answers pending until it can". */
  meanwhile: string;
  logger: Logger;
}

/** Between attempts to start reading while Kafka (or a topic) is not there yet. */
const RETRY_MS = 2000;

/**
 * Reads topics every gateway instance must see in full (each in a consumer group of its own), committing nothing:
 * an instance that restarts reads again from where its subscriptions say. Best effort: it never holds up the start
 * of the gateway, and keeps trying in the background until it reads or is closed.
 */
export class BackgroundReader {
  private readonly consumer: Consumer;
  private readonly log: Logger;
  /** Aborted by close(): ends a pause between attempts at once. */
  private readonly closing = new AbortController();
  private running: Promise<void> = Promise.resolve();
  private readonly firstFetch: Promise<void>;

  constructor(private readonly options: BackgroundReaderOptions) {
    const groupId = `${options.groupPrefix}-${randomBytes(6).toString('hex')}`;
    this.log = options.logger.child({ component: options.groupPrefix, groupId });
    // a short fetch wait only bounds how soon `listening()` can tell; records are returned as soon as they arrive.
    // Topics are created with their partitions and retention by deploy/topics.yaml, never by accident here.
    this.consumer = options.kafka.consumer({
      groupId,
      maxWaitTimeInMs: 1000,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => true },
    });
    this.firstFetch = firstFetchAfterJoin(this.consumer);
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !this.closed) this.start();
    });
  }

  /** Starts reading in the background; never throws. */
  start(): void {
    this.running = this.running.then(() => this.readUntilClosed());
  }

  /** Resolves once the reader has fetched after joining: what is published from then on reaches it. */
  listening(): Promise<void> {
    return this.firstFetch;
  }

  /** Stops reading. Does not wait for a connection attempt still under way: that one disconnects itself. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.consumer.disconnect();
  }

  private get closed(): boolean {
    return this.closing.signal.aborted;
  }

  private async readUntilClosed(): Promise<void> {
    while (!this.closed && !(await this.tryToRead())) {
      await sleep(RETRY_MS, undefined, { signal: this.closing.signal }).catch(() => undefined);
    }
    // closed while an attempt was under way: a connection that came up late must not go on reading
    if (this.closed) await this.consumer.disconnect();
  }

  /** One attempt to join the group and read; false (and logged) while Kafka or a topic is not there. */
  private async tryToRead(): Promise<boolean> {
    try {
      await this.consumer.connect();
      for (const { topics, fromBeginning } of this.options.subscriptions)
        await this.consumer.subscribe({ topics, fromBeginning });
      await this.consumer.run({
        autoCommit: false,
        eachMessage: ({ topic, message }) => this.options.onMessage(topic, message),
      });
      return true;
    } catch (error) {
      if (!this.closed)
        this.log.warn(
          { err: error },
          `cannot read ${this.options.subscriptions.flatMap((s) => s.topics).join(', ')} yet; ${this.options.meanwhile}`,
        );
      await this.consumer.disconnect().catch(() => undefined);
      return false;
    }
  }
}

/**
 * Resolves after the consumer's first fetch following its first group join. That fetch has resolved the offsets
 * it reads from, so what is published from then on reaches it even when it starts from the newest offset.
 */
export function firstFetchAfterJoin(consumer: Consumer): Promise<void> {
  return new Promise((resolve) => {
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => void (joined = true));
    consumer.on(consumer.events.FETCH, () => joined && resolve());
  });
}
