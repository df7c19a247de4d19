import type { TopicCodec } from '@tally/schemas';
import { KafkaUnavailableError, type OutgoingRecord, type TypedProducer } from '@tally/streaming';
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
    const warmed = warmedEncoder(codec);
    return {
      write: async (records, deadline) => {
        // once the client has been told 503, a connection that comes up late must not send these records
        const work = this.connect().then(async () => {
          if (deadline.aborted) throw new Error('abandoned after the write deadline');
          await warmed(records);
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

/**
 * The schema registry client keeps a schema only once its first lookup is answered, and every encode waiting
 * meanwhile parses the schema again (avsc generates code for it, about a millisecond each): a cold topic's first
 * batch of 1000 items parsed it 1000 times, and no batch was answered for seconds. So the first write of a topic
 * encodes one record alone (and throws it away) before its records go; later writes find the schema cached.
 */
function warmedEncoder<T>(codec: TopicCodec<T>): (records: OutgoingRecord<T>[]) => Promise<unknown> {
  let warm: Promise<unknown> | undefined;
  return (records) => {
    const first = records[0];
    if (warm === undefined && first !== undefined)
      warm = codec.encode(first.value).catch((error: unknown) => {
        // a registry that did not answer is tried again by the next write
        warm = undefined;
        throw error;
      });
    return warm ?? Promise.resolve();
  };
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
