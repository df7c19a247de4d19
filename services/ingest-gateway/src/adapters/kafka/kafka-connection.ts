import type { TopicCodec } from '@tally/schemas';
import { KafkaUnavailableError, type TypedProducer } from '@tally/streaming';
import type { RecordWriter } from '../../ports/record-writer.js';

/**
 * Connects the producer on first use and keeps retrying on later ones, so the gateway starts (and answers
 * reads, docs and health) while Kafka is down. Each write ends by its request's deadline, connecting included,
 * failing with KafkaUnavailableError so the client is told 503.
 */
export class KafkaConnection {
  private connecting: Promise<void> | undefined;

  constructor(readonly producer: TypedProducer) {}

  /** Starts (or joins) a connection attempt; a failed attempt is forgotten so the next write tries again. */
  connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  writer<T>(codec: TopicCodec<T>): RecordWriter<T> {
    return {
      write: async (records, deadline) => {
        // once the client has been told 503, a connection that comes up late must not send these records
        const work = this.connect().then(() => {
          if (deadline.aborted) throw new Error('abandoned after the write deadline');
          return this.producer.sendAll(codec, records);
        });
        try {
          await beforeDeadline(work, deadline);
        } catch (error) {
          throw error instanceof KafkaUnavailableError ? error : new KafkaUnavailableError(codec.topic, error);
        }
      },
    };
  }

  async close(): Promise<void> {
    // flushes what is queued; a producer that never connected has nothing to flush
    if (this.connecting) await this.producer.disconnect();
  }
}

/** `work`, or a rejection as soon as `deadline` aborts (at once if it already has). */
function beforeDeadline<T>(work: Promise<T>, deadline: AbortSignal): Promise<T> {
  let giveUp: (() => void) | undefined;
  const expired = new Promise<never>((_, reject) => {
    giveUp = () => reject(new Error('no acknowledgement before the write deadline'));
    if (deadline.aborted) giveUp();
    else deadline.addEventListener('abort', giveUp, { once: true });
  });
  return Promise.race([work, expired]).finally(() => deadline.removeEventListener('abort', giveUp!));
}
