import type { Kafka, Producer, ProducerBatch } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { TopicCodec } from '@tally/schemas';
import { KafkaUnavailableError, TypedProducer, lostProducerState } from './producer.js';

const codec = {
  topic: 'probes',
  encode: async (value: number) => Buffer.from(String(value)),
} as unknown as TopicCodec<number>;

/** kafkajs's shape of a broker refusal: its own non-retriable error, the broker's error (with `type`) as the cause. */
const brokerRefusal = (type: string) =>
  Object.assign(new Error('The broker received an out of order sequence number'), {
    name: 'KafkaJSNonRetriableError',
    cause: Object.assign(new Error('The broker received an out of order sequence number'), {
      name: 'KafkaJSProtocolError',
      type,
    }),
  });

/**
 * A kafkajs client whose first producer refuses every batch with `refusal`, as a producer whose sequence
 * numbers the broker no longer accepts does (or only its first batch, for a passing failure); later producers
 * acknowledge everything.
 */
function scriptedKafka(refusal: Error, { forever }: { forever: boolean }) {
  const made: { connected: number; disconnected: number; sent: ProducerBatch[] }[] = [];
  const kafka = {
    producer: () => {
      const record = { connected: 0, disconnected: 0, sent: [] as ProducerBatch[] };
      const refusing = made.length === 0;
      let refused = 0;
      made.push(record);
      return {
        connect: async () => void record.connected++,
        disconnect: async () => void record.disconnected++,
        sendBatch: async (batch: ProducerBatch) => {
          if (refusing && (forever || refused++ === 0)) throw refusal;
          record.sent.push(batch);
        },
      } as unknown as Producer;
    },
  } as unknown as Kafka;
  return { kafka, made };
}

describe('TypedProducer after the broker lost its sequence numbers', () => {
  it('tells the batch it failed, then goes on with a new producer id instead of refusing every batch forever', async () => {
    // seen in the fault run: after a broker stop and start, every write of the gateway failed with
    // OUT_OF_ORDER_SEQUENCE_NUMBER until the process was restarted
    const { kafka, made } = scriptedKafka(brokerRefusal('OUT_OF_ORDER_SEQUENCE_NUMBER'), { forever: true });
    const producer = new TypedProducer(kafka, { lingerMs: 0 });
    await producer.connect();
    await expect(producer.send(codec, { key: 'k', value: 1 })).rejects.toBeInstanceOf(KafkaUnavailableError);
    await expect(producer.send(codec, { key: 'k', value: 2 })).resolves.toBeUndefined();
    expect(made).toHaveLength(2);
    expect(made[0]!.disconnected).toBe(1);
    expect(made[1]!.connected).toBe(1);
    expect(
      made[1]!.sent.flatMap((b) => b.topicMessages ?? []).flatMap((t) => t.messages.map((m) => String(m.value))),
    ).toEqual(['2']);
  });

  it('keeps its producer through other failures (Kafka down, a timeout): those leave the sequence numbers right', async () => {
    const { kafka, made } = scriptedKafka(
      Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSConnectionError' }),
      { forever: false },
    );
    const producer = new TypedProducer(kafka, { lingerMs: 0 });
    await producer.connect();
    await expect(producer.send(codec, { key: 'k', value: 1 })).rejects.toBeInstanceOf(KafkaUnavailableError);
    await expect(producer.send(codec, { key: 'k', value: 2 })).resolves.toBeUndefined();
    expect(made).toHaveLength(1);
  });

  it('recognises the broker errors that void a producer id, however kafkajs wraps them', () => {
    for (const type of ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH'])
      expect(lostProducerState(brokerRefusal(type)), type).toBe(true);
    expect(lostProducerState(new Error('no acknowledgement within 5000 ms'))).toBe(false);
    expect(lostProducerState(brokerRefusal('NOT_LEADER_FOR_PARTITION'))).toBe(false);
    expect(lostProducerState(undefined)).toBe(false);
  });
});
