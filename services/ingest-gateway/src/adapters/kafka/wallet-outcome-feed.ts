import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@tally/observability';
import type { TopicCodec, WalletOutcome } from '@tally/schemas';
import type { OutcomeWaiters } from './outcome-waiters.js';
import { BackgroundReader } from './background-reader.js';

export interface OutcomeFeedOptions {
  kafka: Kafka;
  codec: TopicCodec<WalletOutcome>;
  waiters: OutcomeWaiters<WalletOutcome>;
  logger: Logger;
  /** Told the user of every outcome read (the console refreshes a wallet it shows); decoded or not. */
  onOutcomeFor?: (userId: string) => void;
}

/**
 * Feeds the wallet outcomes the ledger publishes to the requests waiting for them (`?wait=true`).
 *
 * Every gateway instance must see every outcome (any instance may hold the waiting request), so each reads in a
 * consumer group of its own, from the newest record on: an instance that restarts has nobody waiting for older
 * outcomes. Reading is best effort: while it is not running, waits end as "pending".
 */
export class WalletOutcomeFeed {
  private readonly reader: BackgroundReader;
  private readonly log: Logger;

  constructor(private readonly options: OutcomeFeedOptions) {
    this.log = options.logger.child({ component: 'wallet-outcomes' });
    this.reader = new BackgroundReader({
      kafka: options.kafka,
      groupPrefix: 'ingest-gateway-outcomes',
      subscriptions: [{ topics: [options.codec.topic], fromBeginning: false }],
      onMessage: (_topic, message) => this.deliver(message),
      meanwhile: '?wait=true answers "pending" until it can',
      logger: options.logger,
    });
  }

  /** Starts reading in the background; never throws. */
  start(): void {
    this.reader.start();
  }

  /** Resolves once the feed reads from the newest offsets: outcomes published from then on reach their waiters. */
  listening(): Promise<void> {
    return this.reader.listening();
  }

  close(): Promise<void> {
    return this.reader.close();
  }

  /**
   * Hands one outcome to its waiters. Outcomes are keyed by userId, so one whose user nobody waits for (nearly all
   * of them) is not even decoded. Never throws: a wait that misses its outcome just ends "pending".
   */
  private async deliver(message: KafkaMessage): Promise<void> {
    const userId = message.key?.toString();
    if (userId !== undefined) this.options.onOutcomeFor?.(userId);
    if (userId !== undefined && !this.options.waiters.isWaitingFor(userId)) return;
    try {
      const outcome = await this.options.codec.decode(message.value);
      this.options.waiters.deliver(outcome.userId, outcome.id, outcome);
    } catch (error) {
      this.log.warn({ err: error, offset: message.offset }, 'skipped a wallet outcome that could not be decoded');
    }
  }
}
