import type { Admin, Consumer, Kafka } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { createLogger, createMetrics } from '@tally/observability';
import type { DeadLetter, LateRecord, TopicCodec } from '@tally/schemas';
import { BatchConsumer } from './consumer.js';
import type { TypedProducer } from './producer.js';

const CRASH = 'consumer.crash';

/** A kafkajs client whose consumer counts its joins and lets the test play kafkajs's crash events. */
function scriptedKafka() {
  const listeners = new Map<string, ((event: { payload: unknown }) => void)[]>();
  const calls = { connect: 0, subscribe: 0, run: 0, disconnect: 0 };
  const consumer = {
    events: { GROUP_JOIN: 'consumer.group_join', STOP: 'consumer.stop', CRASH },
    on: (event: string, listener: (event: { payload: unknown }) => void) =>
      void listeners.set(event, [...(listeners.get(event) ?? []), listener]),
    connect: async () => void calls.connect++,
    subscribe: async () => void calls.subscribe++,
    run: async () => void calls.run++,
    disconnect: async () => void calls.disconnect++,
  } as unknown as Consumer;
  const admin = { connect: async () => undefined, disconnect: async () => undefined } as unknown as Admin;
  const kafka = { consumer: () => consumer, admin: () => admin } as unknown as Kafka;
  /** What kafkajs emits after it has disconnected on a crash; `restart`: whether it restarts by itself. */
  const crash = (restart: boolean) => {
    for (const listener of listeners.get(CRASH) ?? [])
      listener({ payload: { error: new Error('Failed to find group coordinator'), groupId: 'g', restart } });
  };
  return { kafka, calls, crash };
}

function batchConsumer(kafka: Kafka) {
  return new BatchConsumer<number>({
    service: 'test',
    groupId: 'g',
    kafka,
    codecs: [{ topic: 't' } as unknown as TopicCodec<number>],
    handler: async () => undefined,
    producer: {} as TypedProducer,
    deadLetters: {} as TopicCodec<DeadLetter>,
    lateRecords: {} as TopicCodec<LateRecord>,
    metrics: createMetrics('consumer-rejoin-test'),
    logger: createLogger('consumer-rejoin-test', 'silent'),
    lagIntervalMs: 60_000,
  });
}

describe('BatchConsumer after a crash kafkajs does not restart', () => {
  it('joins the group again, where kafkajs would leave the service running and consuming nothing', async () => {
    const { kafka, calls, crash } = scriptedKafka();
    const consumer = batchConsumer(kafka);
    await consumer.start();
    expect(calls).toMatchObject({ connect: 1, subscribe: 1, run: 1 });

    crash(false);
    await vi.waitFor(() => expect(calls).toMatchObject({ connect: 2, subscribe: 2, run: 2 }));
    await consumer.stop();
  });

  it('leaves a retriable crash to kafkajs, which restarts by itself', async () => {
    const { kafka, calls, crash } = scriptedKafka();
    const consumer = batchConsumer(kafka);
    await consumer.start();
    crash(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls.run).toBe(1);
    await consumer.stop();
  });

  it('does not join again once stopped', async () => {
    const { kafka, calls, crash } = scriptedKafka();
    const consumer = batchConsumer(kafka);
    await consumer.start();
    await consumer.stop();
    crash(false);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls.run).toBe(1);
  });
});
