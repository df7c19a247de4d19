import type { TopicCodec } from '@tally/schemas';
import { KafkaUnavailableError, type OutgoingRecord, type TypedProducer } from '@tally/streaming';

/** Where accepted writes go: resolves once every record is durable (acknowledged by Kafka), throws otherwise. */
export interface RecordWriter<T> {
  write(records: OutgoingRecord<T>[]): Promise<void>;
}

/**
 * Connects the producer on first use and keeps retrying on later ones, so the gateway starts (and answers
 * reads, docs and health) while Kafka is down, and each write waits at most `ackTimeoutMs` in all — connecting
 * included — before it fails with KafkaUnavailableError and the client is told 503.
 */
export class KafkaConnection {
  private connecting: Promise<void> | undefined;

  constructor(
    readonly producer: TypedProducer,
    private readonly ackTimeoutMs: number,
  ) {}

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
      write: async (records) => {
        // once the client has been told 503, a connection that comes up late must not send these records
        let abandoned = false;
        const work = this.connect().then(() => {
          if (abandoned) throw new Error('abandoned after the deadline');
          return this.producer.sendAll(codec, records);
        });
        try {
          await withDeadline(work, this.ackTimeoutMs);
        } catch (error) {
          abandoned = true;
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

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
