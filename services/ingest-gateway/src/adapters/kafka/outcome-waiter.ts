import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@tally/observability';
import type { TopicCodec, WalletOutcome } from '@tally/schemas';
import type { OutcomeWaiters } from '../../domain/outcome-waiters.js';

export interface OutcomeFeedOptions {
  kafka: Kafka;
  codec: TopicCodec<WalletOutcome>;
  waiters: OutcomeWaiters<WalletOutcome>;
  logger: Logger;
}

/** Between attempts to start reading while Kafka (or the topic) is not there yet. */
const RETRY_MS = 2000;

/**
 * Feeds the wallet outcomes the ledger publishes to the requests waiting for them (`?wait=true`).
 *
 * Every gateway instance must see every outcome (any instance may hold the waiting request), so each reads in a
 * consumer group of its own, from the newest record on, and commits nothing: an instance that restarts has
 * nobody waiting for older outcomes. Reading is best effort: while it is not running, waits end as "pending".
 * It never holds up the start of the gateway; it keeps trying in the background until it reads or is closed.
 */
export class WalletOutcomeFeed {
  private readonly consumer: Consumer;
  private readonly log: Logger;
  /** Aborted by close(): ends a pause between attempts at once. */
  private readonly closing = new AbortController();
  private running: Promise<void> = Promise.resolve();
  private readonly firstFetch: Promise<void>;

  constructor(private readonly options: OutcomeFeedOptions) {
    const groupId = `ingest-gateway-outcomes-${randomBytes(6).toString('hex')}`;
    this.log = options.logger.child({ component: 'wallet-outcomes', groupId });
    // a short fetch wait only bounds how soon `listening()` can tell; records are returned as soon as they arrive.
    // The topic is created with its partitions and retention by deploy/topics.yaml, never by accident here.
    this.consumer = options.kafka.consumer({ groupId, maxWaitTimeInMs: 1000, allowAutoTopicCreation: false, retry: { restartOnFailure: async () => true } });
    this.firstFetch = firstFetchAfterJoin(this.consumer);
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart && !this.closed) this.start();
    });
  }

  /** Starts reading in the background; never throws. */
  start(): void {
    this.running = this.running.then(() => this.readUntilClosed());
  }

  /** Resolves once the feed reads from the newest offsets: outcomes published from then on reach their waiters. */
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

  /** One attempt to join the group and read; false (and logged) while Kafka or the topic is not there. */
  private async tryToRead(): Promise<boolean> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.options.codec.topic, fromBeginning: false });
      await this.consumer.run({ autoCommit: false, eachMessage: ({ message }) => this.deliver(message) });
      return true;
    } catch (error) {
      if (!this.closed) this.log.warn({ err: error }, 'cannot read wallet outcomes yet; ?wait=true answers "pending" until it can');
      await this.consumer.disconnect().catch(() => undefined);
      return false;
    }
  }

  /**
   * Hands one outcome to its waiters. Outcomes are keyed by userId, so one whose user nobody waits for (nearly all
   * of them) is not even decoded. Never throws: a wait that misses its outcome just ends "pending".
   */
  private async deliver(message: KafkaMessage): Promise<void> {
    const userId = message.key?.toString();
    if (userId !== undefined && !this.options.waiters.isWaitingFor(userId)) return;
    try {
      const outcome = await this.options.codec.decode(message.value);
      this.options.waiters.deliver(outcome.userId, outcome.id, outcome);
    } catch (error) {
      this.log.warn({ err: error, offset: message.offset }, 'skipped a wallet outcome that could not be decoded');
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
