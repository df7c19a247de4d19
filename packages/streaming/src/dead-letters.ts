import type { KafkaMessage } from 'kafkajs';
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
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
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
