import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { DeadLetter, DeadLetterReason, TopicCodec } from '@tally/schemas';
import type { TypedProducer } from './producer.js';

export interface DeadLetterContext {
  service: string;
  group: string;
  topic: string;
  partition: number;
}

/** Writes a record that could not be decoded or applied, with its original bytes and why, and waits for the ack. */
export async function sendToDeadLetters(
  producer: TypedProducer,
  codec: TopicCodec<DeadLetter>,
  context: DeadLetterContext,
  message: KafkaMessage,
  reasonCode: DeadLetterReason,
  reason: string,
): Promise<void> {
  const headers = headerStrings(message.headers ?? {});
  await producer.send(codec, {
    key: message.key?.toString('utf8') ?? `${context.topic}/${context.partition}/${message.offset}`,
    value: {
      service: context.service,
      consumerGroup: context.group,
      sourceTopic: context.topic,
      partition: context.partition,
      offset: Number(message.offset),
      reasonCode,
      reason,
      key: message.key ?? null,
      value: message.value ?? null,
      headers,
      recordTimestampMs: Number(message.timestamp),
      failedAtMs: Date.now(),
    },
  });
}

/** Kafka headers as the Avro map of strings the dead-letter and late records keep. */
export function headerStrings(headers: IHeaders): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) strings[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return strings;
}
