import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger, Metrics } from '@tally/observability';
import {
  UndecodableRecordError,
  type DeadLetter,
  type DeadLetterReason,
  type LateRecord,
  type TopicCodec,
} from '@tally/schemas';
import type { ConsumedRecord } from './consumed-record.js';
import { sendToDeadLetters } from './dead-letters.js';
import { sendToLateRecords, type LateEntry } from './late-records.js';
import { consumerLag } from './lag.js';
import { consumerMetrics, type ConsumerMetrics } from './metrics.js';
import type { TypedProducer } from './producer.js';
import { isTransient } from './transient.js';

export type { ConsumedRecord } from './consumed-record.js';

export interface PartitionBatch<T> {
  topic: string;
  partition: number;
  records: ConsumedRecord<T>[];
  /**
   * Sends records too late for a windowed result (or for the idempotency record) to the late topic, counted in
   * `tally_late_records_total`, and resolves once Kafka acknowledged them. Call it before the state change
   * commits (inside its transaction, for verdicts that only the state can give): a crash before the commit
   * redelivers the records and they are judged again, so a late record is reported at least once, never lost.
   */
  setAside: (late: LateEntry<T>[]) => Promise<void>;
}

export interface Rejection<T> {
  record: ConsumedRecord<T>;
  reason: string;
}

/**
 * Applies a batch of one partition's records to the service's state and resolves once that change is durable.
 * It must be idempotent: after a crash the same records come again. Records the domain refuses are returned
 * as rejections and go to the dead-letter topic.
 */
export type BatchHandler<T> = (batch: PartitionBatch<T>) => Promise<{ rejected?: Rejection<T>[] } | void>;

export interface BatchConsumerOptions<T> {
  service: string;
  groupId: string;
  kafka: Kafka;
  /** One codec per subscribed topic, so each value decodes with its topic's schema. */
  codecs: TopicCodec<T>[];
  handler: BatchHandler<T>;
  producer: TypedProducer;
  deadLetters: TopicCodec<DeadLetter>;
  /** The side output for records later than a window allows (LATE_TOPIC). */
  lateRecords: TopicCodec<LateRecord>;
  metrics: Metrics;
  logger: Logger;
  /** Partitions processed at the same time by this instance. */
  concurrency?: number;
  fromBeginning?: boolean;
  lagIntervalMs?: number;
  sessionTimeoutMs?: number;
  /** Records applied and committed together at most (default 1000). */
  maxRecordsPerCommit?: number;
}

const MAX_BACKOFF_MS = 5000;

/** Between attempts to join the group again after a crash kafkajs does not retry. */
const REJOIN_RETRY_MS = 2000;

/**
 * At-least-once delivery made safe: a partition's offsets are committed only after the handler made the batch
 * durable and every dead letter of the batch was acknowledged. Heartbeats continue during long batches;
 * transient failures are retried while the partition is still ours; a record that fails on its own is
 * dead-lettered so it never blocks its partition.
 */
export class BatchConsumer<T> {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly codecs: Map<string, TopicCodec<T>>;
  private readonly metrics: ConsumerMetrics;
  private readonly log: Logger;
  private lagTimer: NodeJS.Timeout | undefined;
  private running = false;
  private assignment: Record<string, number[]> = {};
  private rebalancingSince: number | undefined;

  constructor(private readonly options: BatchConsumerOptions<T>) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      allowAutoTopicCreation: false,
      // a topic grown with more partitions (`tally topics apply --allow-repartition`) is noticed at the next
      // metadata refresh, and kafkajs then rejoins the group so the new partitions get an owner: within 30 s
      // rather than kafkajs's 5 minutes, during which records keyed to the new partitions would wait unread
      metadataMaxAge: 30_000,
      maxBytesPerPartition: 1_048_576,
      retry: { retries: 10 },
    });
    // the group's latest assignment to this member, for work that follows partition ownership (timers, rebuilds)
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = payload.memberAssignment;
      if (this.rebalancingSince !== undefined)
        this.metrics.rebalancePause.observe({ group: options.groupId }, (Date.now() - this.rebalancingSince) / 1000);
      this.rebalancingSince = undefined;
    });
    // the moment a heartbeat learns that the group rebalances: from here until GROUP_JOIN the member owns nothing
    this.consumer.on(this.consumer.events.REBALANCING, () => (this.rebalancingSince ??= Date.now()));
    this.consumer.on(this.consumer.events.STOP, () => (this.assignment = {}));
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      // kafkajs restarts itself after a retriable error; after any other it has disconnected and stays stopped
      // while the process lives on, consuming nothing (seen at start on a fresh broker: "Failed to find group
      // coordinator" while it loads its offsets topic). Such a member joins the group again.
      if (payload.restart || !this.running) return;
      this.log.error(
        { err: payload.error },
        'the consumer stopped on an error kafkajs does not retry; joining the group again',
      );
      void this.rejoin();
    });
    this.admin = options.kafka.admin();
    this.codecs = new Map(options.codecs.map((c) => [c.topic, c]));
    this.metrics = consumerMetrics(options.metrics);
    this.log = options.logger.child({ component: 'consumer', group: options.groupId });
  }

  async start(): Promise<void> {
    await this.admin.connect();
    this.running = true;
    await this.join();
    this.lagTimer = setInterval(() => void this.refreshLag(), this.options.lagIntervalMs ?? 5000);
    this.log.info({ topics: [...this.codecs.keys()] }, 'consuming');
  }

  private async join(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topics: [...this.codecs.keys()],
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrency ?? 4,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /** Joins again after a crash kafkajs gave up on, until it succeeds or the consumer is stopped. */
  private async rejoin(): Promise<void> {
    while (this.running) {
      try {
        await this.join();
        // stopped while joining: a connection that came up late must not go on consuming
        if (!this.running) await this.consumer.disconnect();
        return;
      } catch (error) {
        this.log.warn({ err: error }, 'could not join the group again yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, REJOIN_RETRY_MS));
      }
    }
  }

  /** Finishes the batch in hand, commits it, leaves the group. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.lagTimer);
    await this.consumer.disconnect();
    await this.admin.disconnect();
    this.log.info('stopped');
  }

  /** The partitions of `topic` this member owns since the last rebalance. */
  assignedPartitions(topic: string): number[] {
    return [...(this.assignment[topic] ?? [])];
  }

  /** Connected to the brokers and a member of the group (for /readyz). */
  async ready(): Promise<void> {
    const { state } = await this.consumer.describeGroup();
    if (!['Stable', 'CompletingRebalance', 'PreparingRebalance'].includes(state))
      throw new Error(`consumer group is ${state}`);
  }

  async refreshLag(): Promise<void> {
    try {
      for (const p of await consumerLag(this.admin, this.options.groupId, [...this.codecs.keys()])) {
        this.metrics.consumerLag.set({ group: p.group, topic: p.topic, partition: String(p.partition) }, p.lag);
      }
    } catch (error) {
      this.log.warn({ err: error }, 'could not read consumer lag');
    }
  }

  /**
   * A fetched batch can hold tens of thousands of small records; it is applied and committed in chunks of
   * `maxRecordsPerCommit`, so a crash redelivers at most a chunk per partition and the state store sees
   * bounded transactions.
   */
  private async processBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const { topic, partition } = batch;
    const stopTimer = this.metrics.batchDuration.startTimer({ group: this.options.groupId, topic });
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    const owned = () => isRunning() && !isStale();
    const size = this.options.maxRecordsPerCommit ?? 1000;
    try {
      for (let start = 0; start < batch.messages.length; start += size) {
        const chunk = batch.messages.slice(start, start + size);
        if (!(await this.processChunk(topic, partition, chunk, owned))) return;
        if (isStale()) return;
        const last = chunk[chunk.length - 1]!.offset;
        // moves this member's fetch position past the chunk; without it kafkajs fetches the batch again
        resolveOffset(last);
        await this.consumer.commitOffsets([{ topic, partition, offset: (BigInt(last) + 1n).toString() }]);
        this.metrics.recordsProcessed.inc({ group: this.options.groupId, topic }, chunk.length);
        if (!isRunning()) return;
      }
    } finally {
      clearInterval(beat);
      stopTimer();
    }
  }

  /** Decodes, applies and dead-letters one chunk; false when the partition was lost on the way (nothing to commit). */
  private async processChunk(
    topic: string,
    partition: number,
    messages: KafkaMessage[],
    owned: () => boolean,
  ): Promise<boolean> {
    const deadLetters: { message: KafkaMessage; code: DeadLetterReason; reason: string }[] = [];
    const records: ConsumedRecord<T>[] = [];
    for (const message of messages) {
      const decoded = await this.retrying(owned, () => this.decode(topic, partition, message));
      if (decoded === undefined) return false;
      if (decoded instanceof UndecodableRecordError)
        deadLetters.push({ message, code: 'DECODE_FAILED', reason: decoded.message });
      else records.push(decoded);
    }
    if (records.length > 0) {
      const outcome = await this.apply(
        { topic, partition, records, setAside: (late) => this.setAside(topic, partition, late) },
        owned,
      );
      if (outcome === undefined) return false;
      deadLetters.push(
        ...outcome.map((d) => ({ ...d, message: messages.find((m) => Number(m.offset) === d.record.offset)! })),
      );
    }
    const context = { service: this.options.service, group: this.options.groupId, topic, partition };
    for (const d of deadLetters) {
      const sent = await this.retrying(owned, () =>
        sendToDeadLetters(this.options.producer, this.options.deadLetters, context, d.message, d.code, d.reason).then(
          () => true,
        ),
      );
      if (sent === undefined) return false;
      this.metrics.deadLetters.inc({ group: this.options.groupId, topic, reason: d.code });
      this.log.warn(
        { topic, partition, offset: d.message.offset, reasonCode: d.code, reason: d.reason },
        'record dead-lettered',
      );
    }
    return true;
  }

  private async setAside(topic: string, partition: number, late: LateEntry<T>[]): Promise<void> {
    if (late.length === 0) return;
    const context = { service: this.options.service, group: this.options.groupId, topic, partition };
    await sendToLateRecords(this.options.producer, this.options.lateRecords, context, late);
    for (const entry of late)
      this.metrics.lateRecords.inc({ group: this.options.groupId, topic, reason: entry.reasonCode });
    this.log.info(
      { topic, partition, records: late.length, reasons: [...new Set(late.map((l) => l.reasonCode))] },
      'records set aside as late',
    );
  }

  private async decode(
    topic: string,
    partition: number,
    message: KafkaMessage,
  ): Promise<ConsumedRecord<T> | UndecodableRecordError> {
    try {
      const value = await this.codecs.get(topic)!.decode(message.value);
      return {
        topic,
        partition,
        offset: Number(message.offset),
        key: message.key?.toString('utf8') ?? null,
        value,
        timestamp: Number(message.timestamp),
        headers: message.headers ?? {},
        rawKey: message.key ?? null,
        rawValue: message.value ?? null,
      };
    } catch (error) {
      if (error instanceof UndecodableRecordError) return error;
      throw error;
    }
  }

  /**
   * The whole batch first; if it fails for a reason that is not transient, each record alone, so one poison
   * record is dead-lettered and its neighbours are still applied.
   */
  private async apply(
    batch: PartitionBatch<T>,
    owned: () => boolean,
  ): Promise<{ code: DeadLetterReason; reason: string; record: ConsumedRecord<T> }[] | undefined> {
    const whole = await this.retrying(
      owned,
      () => this.options.handler(batch).then((r) => ({ ok: true as const, rejected: r?.rejected ?? [] })),
      true,
    );
    if (whole === undefined) return undefined;
    if (whole.ok) return whole.rejected.map(({ record, reason }) => ({ code: 'REJECTED', reason, record }));
    this.log.warn(
      { topic: batch.topic, partition: batch.partition, err: whole.error },
      'batch failed; applying its records one by one',
    );
    const failed: { code: DeadLetterReason; reason: string; record: ConsumedRecord<T> }[] = [];
    for (const record of batch.records) {
      const single = await this.retrying(
        owned,
        () =>
          this.options
            .handler({ ...batch, records: [record] })
            .then((r) => ({ ok: true as const, rejected: r?.rejected ?? [] })),
        true,
      );
      if (single === undefined) return undefined;
      if (!single.ok) failed.push({ code: 'PROCESSING_FAILED', reason: describe(single.error), record });
      else failed.push(...single.rejected.map(({ reason }) => ({ code: 'REJECTED' as const, reason, record })));
    }
    return failed;
  }

  /**
   * Runs `action` until it succeeds, retrying transient failures with backoff while the partition is ours.
   * Returns undefined when ownership is lost (the next owner redoes the batch). With `settle`, a non-transient
   * failure is returned as a value instead of thrown.
   */
  private async retrying<R>(owned: () => boolean, action: () => Promise<R>): Promise<R | undefined>;
  private async retrying<R>(
    owned: () => boolean,
    action: () => Promise<R>,
    settle: true,
  ): Promise<R | { ok: false; error: unknown } | undefined>;
  private async retrying<R>(
    owned: () => boolean,
    action: () => Promise<R>,
    settle = false,
  ): Promise<R | { ok: false; error: unknown } | undefined> {
    for (let attempt = 0; ; attempt++) {
      // the first attempt always runs, so a graceful stop finishes the batch in hand; retries stop with it
      if (attempt > 0 && !owned()) return undefined;
      try {
        return await action();
      } catch (error) {
        if (!isTransient(error)) {
          if (settle) return { ok: false, error };
          throw error;
        }
        const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** attempt);
        this.log.warn({ err: error, attempt, delay }, 'transient failure; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
