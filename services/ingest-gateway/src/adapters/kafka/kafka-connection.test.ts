import { describe, expect, it } from 'vitest';
import type { TopicCodec } from '@tally/schemas';
import { KafkaUnavailableError, type OutgoingRecord, type TypedProducer } from '@tally/streaming';
import { KafkaConnection } from './kafka-connection.js';

const codec = { topic: 'test.topic' } as TopicCodec<string>;
const record: OutgoingRecord<string> = { key: 'k', value: 'v' };

/** A producer whose connection comes up when the test says so, and that records what it is asked to send. */
function heldProducer() {
  let connected!: () => void;
  const connection = new Promise<void>((resolve) => (connected = resolve));
  const sent: OutgoingRecord<string>[] = [];
  const producer = {
    connect: () => connection,
    sendAll: async (_codec: TopicCodec<string>, records: OutgoingRecord<string>[]) => void sent.push(...records),
    disconnect: async () => undefined,
  } as unknown as TypedProducer;
  return { producer, sent, connect: () => connected() };
}

describe('a write through the Kafka connection', () => {
  it('is sent once the producer is connected, within its deadline', async () => {
    const held = heldProducer();
    const writing = new KafkaConnection(held.producer).writer(codec).write([record], new AbortController().signal);
    held.connect();
    await writing;
    expect(held.sent).toEqual([record]);
  });

  it('fails with KafkaUnavailableError when its deadline comes first, connecting included, and is never sent later', async () => {
    const held = heldProducer();
    const deadline = new AbortController();
    const writing = new KafkaConnection(held.producer).writer(codec).write([record], deadline.signal);
    deadline.abort();
    await expect(writing).rejects.toBeInstanceOf(KafkaUnavailableError);
    // the connection comes up late: the client was told 503 and retries, so these records must stay unsent
    held.connect();
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.sent).toEqual([]);
  });

  it('fails at once, sending nothing, when its deadline has already passed', async () => {
    const held = heldProducer();
    held.connect();
    await expect(
      new KafkaConnection(held.producer).writer(codec).write([record], AbortSignal.abort()),
    ).rejects.toBeInstanceOf(KafkaUnavailableError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.sent).toEqual([]);
  });
});
