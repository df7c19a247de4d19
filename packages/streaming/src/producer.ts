import type { Kafka, Message, Producer, IHeaders } from 'kafkajs';
import { CompressionTypes, Partitioners } from 'kafkajs';
import type { TopicCodec } from '@tally/schemas';

/** Kafka did not acknowledge in time; the caller should answer 503 and the client retry the same (source, seq). */
export class KafkaUnavailableError extends Error {
  constructor(readonly topic: string, cause: unknown) {
    super(`Kafka did not acknowledge the write to ${topic}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
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
  message: Message;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * The one way Tally writes to Kafka: idempotent (the broker drops retried duplicates), acks=all, one request in
 * flight so order per partition holds, and records micro-batched so many concurrent callers share a request.
 * `send` resolves only once the broker acknowledged that record.
 */
export class TypedProducer {
  private readonly producer: Producer;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly lingerMs: number;
  private readonly maxBatchRecords: number;
  private readonly ackTimeoutMs: number;

  constructor(kafka: Kafka, options: ProducerOptions = {}) {
    // The default partitioner is the Java client's murmur2, so a key lands on the same partition whichever
    // client wrote it.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.lingerMs = options.lingerMs ?? 2;
    this.maxBatchRecords = options.maxBatchRecords ?? 2000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async disconnect(): Promise<void> {
    await this.flush();
    await this.producer.disconnect();
  }

  /** Encodes with the topic's registered schema and resolves when Kafka acknowledged (acks=all). */
  async send<T>(codec: TopicCodec<T>, record: OutgoingRecord<T>): Promise<void> {
    const value = await codec.encode(record.value);
    return this.sendRaw(codec.topic, { key: record.key, value, headers: record.headers, timestamp: record.timestamp?.toString() });
  }

  async sendAll<T>(codec: TopicCodec<T>, records: OutgoingRecord<T>[]): Promise<void> {
    await Promise.all(records.map((r) => this.send(codec, r)));
  }

  /** For bytes that are already framed (the dead-letter topic keeps original bytes; tests write garbage). */
  sendRaw(topic: string, message: Message): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, message, resolve, reject });
      if (this.queue.length >= this.maxBatchRecords) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), this.lingerMs);
    });
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.message]);
    try {
      await withTimeout(
        this.producer.sendBatch({
          acks: -1,
          compression: CompressionTypes.None,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        }),
        this.ackTimeoutMs,
      );
      for (const p of batch) p.resolve();
    } catch (error) {
      for (const p of batch) p.reject(new KafkaUnavailableError(p.topic, error));
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
