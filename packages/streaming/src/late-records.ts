import type { LateReason, LateRecord, TopicCodec } from '@tally/schemas';
import type { ConsumedRecord } from './consumed-record.js';
import { headerStrings, type DeadLetterContext } from './dead-letters.js';
import type { TypedProducer } from './producer.js';

/** A record a handler sets aside: why, which windowed results it missed, and whether anything else still took it. */
export interface LateEntry<T> {
  record: ConsumedRecord<T>;
  /** The write's <source>:<seq>. */
  writeId: string;
  reasonCode: LateReason;
  reason: string;
  windows: string[];
  /** True when the record still changed what is not windowed (presence, all-time totals). */
  otherEffectsApplied: boolean;
  eventTimeMs: number;
  receivedAtMs: number;
}

/** Writes late records with their original bytes to the late topic and waits for the ack. */
export async function sendToLateRecords<T>(
  producer: TypedProducer,
  codec: TopicCodec<LateRecord>,
  context: DeadLetterContext,
  late: LateEntry<T>[],
): Promise<void> {
  const now = Date.now();
  await producer.sendAll(
    codec,
    late.map(({ record, ...entry }) => ({
      key: `${context.topic}/${context.partition}/${record.offset}`,
      value: {
        service: context.service,
        consumerGroup: context.group,
        sourceTopic: context.topic,
        partition: context.partition,
        offset: record.offset,
        writeId: entry.writeId,
        reasonCode: entry.reasonCode,
        reason: entry.reason,
        windows: entry.windows,
        otherEffectsApplied: entry.otherEffectsApplied,
        eventTimeMs: entry.eventTimeMs,
        receivedAtMs: entry.receivedAtMs,
        key: record.rawKey,
        value: record.rawValue,
        headers: headerStrings(record.headers),
        recordTimestampMs: record.timestamp,
        setAsideAtMs: now,
      },
    })),
  );
}
