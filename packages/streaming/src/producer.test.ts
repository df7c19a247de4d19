import type { Kafka, Producer, ProducerBatch } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TopicCodec } from '@tally/schemas';
import { TypedProducer } from './producer.js';

/** A kafkajs client whose producer acknowledges every batch at once and remembers what it was sent. */
function fakeKafka(sent: ProducerBatch[]): Kafka {
  const producer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: async (batch: ProducerBatch) => void sent.push(batch),
  };
  return { producer: () => producer as unknown as Producer } as unknown as Kafka;
}

/** Encodes a number as its text, and fails the way avsc does for a long it cannot carry. */
const codec = {
  topic: 'probes',
  encode: async (value: number) => {
    if (!Number.isSafeInteger(value)) throw new Error(`invalid "long": ${value}`);
    return Buffer.from(String(value));
  },
} as unknown as TopicCodec<number>;

describe('TypedProducer', () => {
  const unhandled = vi.fn();
  afterEach(() => {
    process.off('unhandledRejection', unhandled);
  });

  it('rejects a record that cannot be encoded to its sender alone, without an unhandled rejection (it crashed the gateway)', async () => {
    process.on('unhandledRejection', unhandled);
    const sent: ProducerBatch[] = [];
    // a long linger: the encoding fails well before the batch goes out, which is when it used to go unhandled
    const producer = new TypedProducer(fakeKafka(sent), { lingerMs: 100 });
    const bad = producer.send(codec, { key: 'k', value: 2 ** 53 });
    const good = producer.send(codec, { key: 'k', value: 7 });
    await expect(bad).rejects.toThrow('invalid "long": 9007199254740992');
    await expect(good).resolves.toBeUndefined();
    expect(
      sent.flatMap((batch) => batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => String(m.value))),
    ).toEqual(['7']);
    // unhandled rejections are reported on a later turn of the event loop
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(unhandled).not.toHaveBeenCalled();
  });
});
