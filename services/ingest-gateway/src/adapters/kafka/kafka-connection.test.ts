import { describe, expect, it } from 'vitest';
import type { TopicCodec } from '@tally/schemas';
import { KafkaUnavailableError, type OutgoingRecord, type TypedProducer } from '@tally/streaming';
import { KafkaConnection } from './kafka-connection.js';

const codec = { topic: 'test.topic', encode: async () => Buffer.alloc(0) } as unknown as TopicCodec<string>;
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

  it("encodes a topic's first record alone before its first write goes, and never again", async () => {
    const held = heldProducer();
    held.connect();
    const encoded: string[] = [];
    let sentWhenWarmed = -1;
    const counting = {
      topic: 'test.topic',
      encode: async (value: string) => {
        encoded.push(value);
        sentWhenWarmed = held.sent.length;
        return Buffer.alloc(0);
      },
    } as unknown as TopicCodec<string>;
    const writer = new KafkaConnection(held.producer).writer(counting);
    const open = () => new AbortController().signal;
    await Promise.all([writer.write([record, record], open()), writer.write([record], open())]);
    await writer.write([record], open());
    expect(encoded).toEqual(['v']);
    expect(sentWhenWarmed).toBe(0);
    expect(held.sent).toHaveLength(4);
  });
});
