import type { Kafka, Message, Producer, IHeaders } from 'kafkajs';
import { CompressionTypes, Partitioners } from 'kafkajs';
import { withTimeout } from '@tally/observability';
import type { TopicCodec } from '@tally/schemas';

/** Kafka did not acknowledge in time; the caller should answer 503 and the client retry the same (source, seq). */
export class KafkaUnavailableError extends Error {
  constructor(
    readonly topic: string,
    cause: unknown,
  ) {
    super(
      `Kafka did not acknowledge the write to ${topic}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.name = 'KafkaUnavailableError';
  }
}

export interface OutgoingRecord<T> {
  key: string;
  value: T;
  headers?: IHeaders;
  /** Epoch ms; the broker stamps append time when omitted. */
  timestamp?: number;
}

export interface ProducerOptions {
  /** How long to gather records into one request; a few ms buys large batches under load. */
  lingerMs?: number;
  maxBatchRecords?: number;
  /** A send not acknowledged within this time fails with KafkaUnavailableError. */
  ackTimeoutMs?: number;
}

interface Pending {
  topic: string;
  message: Promise<Message>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The one way Tally writes to Kafka: idempotent (the broker drops retried duplicates), acks=all, one request in
 * flight so order per partition holds, and records micro-batched so many concurrent callers share a request.
 * `send` resolves only once the broker acknowledged that record.
 */
export class TypedProducer {
  private producer: Producer;
  /** The current kafkajs producer's connection; unset after a renewal until the next batch connects it. */
  private connection: Promise<void> | undefined;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private readonly lingerMs: number;
  private readonly maxBatchRecords: number;
  private readonly ackTimeoutMs: number;

  constructor(
    private readonly kafka: Kafka,
    options: ProducerOptions = {},
  ) {
    this.producer = this.newProducer();
    this.lingerMs = options.lingerMs ?? 2;
    this.maxBatchRecords = options.maxBatchRecords ?? 2000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
  }

  private newProducer(): Producer {
    // The default partitioner is the Java client's murmur2, so a key lands on the same partition whichever
    // client wrote it.
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  /** Connects the current kafkajs producer; a failed attempt is forgotten, so the next call tries again. */
  async connect(): Promise<void> {
    this.connection ??= this.producer.connect();
    try {
      await this.connection;
    } catch (error) {
      this.connection = undefined;
      throw error;
    }
  }

  /**
   * Replaces the kafkajs producer by a new one, with a new producer id. After the broker lost track of this
   * producer's sequence numbers (a batch it appended while the client saw the request fail, e.g. across a
   * broker restart, makes kafkajs roll its sequence back below the broker's), every later batch is refused as
   * out of order, forever: kafkajs does not bump the epoch as the Java client does (KIP-360). Only a new
   * producer id starts the sequence afresh; the failed batch's callers were told and retry.
   */
  private renew(): void {
    const stale = this.producer;
    this.producer = this.newProducer();
    this.connection = undefined;
    void stale.disconnect().catch(() => undefined);
  }

  async disconnect(): Promise<void> {
    await this.flush();
    await this.producer.disconnect();
  }

  /** Encodes with the topic's registered schema and resolves when Kafka acknowledged (acks=all). */
  send<T>(codec: TopicCodec<T>, record: OutgoingRecord<T>): Promise<void> {
    const message = codec
      .encode(record.value)
      .then((value) => ({ key: record.key, value, headers: record.headers, timestamp: record.timestamp?.toString() }));
    return this.enqueue(codec.topic, message);
  }

  async sendAll<T>(codec: TopicCodec<T>, records: OutgoingRecord<T>[]): Promise<void> {
    await Promise.all(records.map((r) => this.send(codec, r)));
  }

  /** For bytes that are already framed (the dead-letter topic keeps original bytes; tests write garbage). */
  sendRaw(topic: string, message: Message): Promise<void> {
    return this.enqueue(topic, Promise.resolve(message));
  }

  /**
   * Records join the queue in call order, before their (asynchronous) encoding finishes, so two sends of one
   * key reach the partition in the order they were made.
   */
  private enqueue(topic: string, message: Promise<Message>): Promise<void> {
    // a record that fails to encode is rejected to its sender when its batch goes out (sendBatch); until then its
    // failure must count as handled, or Node ends the whole process for an unhandled rejection
    message.catch(() => undefined);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, resolve, reject });
      if (this.queue.length >= this.maxBatchRecords) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.lingerMs);
    });
  }

  /** Sends what is queued; batches go out one after another, never overtaking each other. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    this.sending = this.sending.then(() => this.sendBatch(batch));
    return this.sending;
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 0) return;
    const encoded = await Promise.allSettled(batch.map((p) => p.message));
    const ready: { pending: Pending; message: Message }[] = [];
    encoded.forEach((result, i) => {
      if (result.status === 'fulfilled') ready.push({ pending: batch[i]!, message: result.value });
      else batch[i]!.reject(result.reason instanceof Error ? result.reason : new Error(String(result.reason)));
    });
    if (ready.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const { pending, message } of ready) {
      const messages = byTopic.get(pending.topic);
      if (messages) messages.push(message);
      else byTopic.set(pending.topic, [message]);
    }
    try {
      // connecting counts against the deadline: after a renewal the new producer connects with its first batch
      const sent = this.connect().then(() =>
        this.producer.sendBatch({
          acks: -1,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        }),
      );
      await withTimeout(sent, this.ackTimeoutMs, 'acknowledgement');
      for (const { pending } of ready) pending.resolve();
    } catch (error) {
      for (const { pending } of ready) pending.reject(new KafkaUnavailableError(pending.topic, error));
      if (lostProducerState(error)) this.renew();
    }
  }
}

/** The broker's answers that mean this producer id's sequence numbers can no longer be used. */
const LOST_PRODUCER_STATE = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

/** Whether kafkajs failed with one of them; it wraps the broker's error (`type`) as the `cause` of its own. */
export function lostProducerState(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    if (LOST_PRODUCER_STATE.has(String((current as { type?: unknown }).type))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
