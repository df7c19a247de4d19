import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMetrics } from '@tally/observability';
import type { DeadLetter } from '@tally/schemas';
import { eventually, uniqueName } from '@tally/testkit';
import { probe, probeWorld } from './fixtures/probe.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof probeWorld>>;

// one partition, so "the consumer goes on with the next record" is about the very next offset
beforeAll(async () => {
  world = await probeWorld(stack, 'poison', 1);
});

afterAll(async () => {
  await world?.close();
});

async function readDeadLetters(count: number): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  const consumer = world.kafka.consumer({ groupId: uniqueName('dlq-reader'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: world.deadLetterTopic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => void letters.push(await world.codecs.deadLetters.decode(message.value)),
  });
  await eventually(() => letters.length >= count, 30_000);
  await consumer.disconnect();
  return letters;
}

describe('the dead-letter topic', () => {
  it('takes undecodable, rejected and failing records with their reason and position, and the consumer goes on', async () => {
    // offsets: 0 valid, 1 garbage (no magic byte), 2 valid, 3 framed with an unknown schema id, 4 rejected by
    // the domain, 5 a record whose handler always throws, 6 valid
    await world.producer.send(world.codecs.probes, { key: 'k', value: probe(0) });
    await world.producer.sendRaw(world.topic, { key: 'k', value: Buffer.from('{"this is":"json, not avro"}') });
    await world.producer.send(world.codecs.probes, { key: 'k', value: probe(2) });
    await world.producer.sendRaw(world.topic, { key: 'k', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]) });
    await world.producer.send(world.codecs.probes, { key: 'k', value: { ...probe(4), label: 'reject me' } });
    await world.producer.send(world.codecs.probes, { key: 'k', value: { ...probe(5), label: 'explode' } });
    await world.producer.send(world.codecs.probes, { key: 'k', value: probe(6) });

    const applied: number[] = [];
    const metrics = createMetrics('dead-letter-test');
    const consumer = world.consumer(
      async ({ records }) => {
        if (records.some((r) => r.value.label === 'explode'))
          throw new TypeError('cannot apply a probe labelled explode');
        const rejected = records
          .filter((r) => r.value.label === 'reject me')
          .map((record) => ({ record, reason: 'labels must not ask to be rejected' }));
        applied.push(...records.filter((r) => r.value.label !== 'reject me').map((r) => r.value.seq));
        return { rejected };
      },
      { metrics },
    );
    await consumer.start();
    try {
      expect(await eventually(() => applied.includes(6), 60_000)).toBe(true);
    } finally {
      await consumer.stop();
    }
    // the batch with the poison record failed as a whole, then its healthy records were applied one by one
    expect([...new Set(applied)].sort()).toEqual([0, 2, 6]);

    const letters = await readDeadLetters(4);
    expect(letters.map((l) => [l.offset, l.reasonCode])).toEqual([
      [1, 'DECODE_FAILED'],
      [3, 'DECODE_FAILED'],
      [4, 'REJECTED'],
      [5, 'PROCESSING_FAILED'],
    ]);
    for (const letter of letters) {
      expect(letter).toMatchObject({ service: 'poison-test', sourceTopic: world.topic, partition: 0 });
      expect(letter.key?.toString()).toBe('k');
      expect(letter.reason.length).toBeGreaterThan(10);
    }
    expect(letters[0]!.value?.toString()).toBe('{"this is":"json, not avro"}');
    expect(letters[0]!.reason).toContain('not a Confluent-framed Avro record');
    expect(letters[1]!.reason).toContain('schema id');
    expect(letters[2]!.reason).toBe('labels must not ask to be rejected');
    expect(letters[3]!.reason).toContain('cannot apply a probe labelled explode');

    const counted = await metrics.getSingleMetric('tally_dead_letters_total')!.get();
    expect(counted.values.reduce((sum, v) => sum + v.value, 0)).toBe(4);
  });
});
