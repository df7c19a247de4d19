import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMetrics } from '@tally/observability';
import { createTestTopics, eventually, quietLogger, uniqueName, withAdmin } from '@tally/testkit';
import { BatchConsumer, TypedProducer, consumerLag, createKafka, type ConsumedRecord } from '../src/index.js';
import { probe, probeCodecs, type Probe } from './fixtures/probe.js';

const stack = inject('stack');
const topic = uniqueName('test.probes');
const deadLetterTopic = uniqueName('test.dead-letters');
const logger = quietLogger();
const kafka = createKafka({ brokers: stack.brokers, clientId: 'roundtrip-test', logger });
let codecs: Awaited<ReturnType<typeof probeCodecs>>;
let producer: TypedProducer;

beforeAll(async () => {
  await createTestTopics(stack.brokers, [{ name: topic, partitions: 3 }, { name: deadLetterTopic, partitions: 1 }]);
  codecs = await probeCodecs(stack.registryUrl, topic, deadLetterTopic);
  producer = new TypedProducer(kafka);
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
});

describe('Avro through the real broker and schema registry', () => {
  const sent = Array.from({ length: 300 }, (_, i) => probe(i));

  it('produces typed records that a batch consumer receives and decodes field for field', async () => {
    await producer.sendAll(codecs.probes, sent.map((value) => ({ key: `${value.source}:${value.seq % 7}`, value })));

    const received: ConsumedRecord<Probe>[] = [];
    const consumer = new BatchConsumer<Probe>({
      service: 'roundtrip-test',
      groupId: uniqueName('roundtrip'),
      kafka,
      codecs: [codecs.probes],
      producer,
      deadLetters: codecs.deadLetters,
      metrics: createMetrics('roundtrip-test'),
      logger,
      handler: async ({ records }) => {
        received.push(...records);
      },
    });
    await consumer.start();
    try {
      expect(await eventually(() => received.length >= sent.length, 60_000)).toBe(true);
    } finally {
      await consumer.stop();
    }
    const bySeq = new Map(received.map((r) => [r.value.seq, r.value]));
    expect(bySeq.size).toBe(sent.length);
    for (const value of sent) expect(bySeq.get(value.seq)).toEqual(value);
    // records with one key share a partition, in the order they were sent
    const byKey = new Map<string | null, ConsumedRecord<Probe>[]>();
    for (const r of received) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    for (const [key, records] of byKey) {
      expect(new Set(records.map((r) => r.partition)).size, `key ${key}`).toBe(1);
      const seqs = records.map((r) => r.value.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it('commits offsets so that the group ends with no lag', async () => {
    const groupId = uniqueName('lag');
    await withAdmin(stack.brokers, async (admin) => {
      const before = await consumerLag(admin, groupId, [topic]);
      expect(before.reduce((sum, p) => sum + p.lag, 0)).toBe(sent.length);
    });
    const metrics = createMetrics('lag-test');
    let seen = 0;
    const consumer = new BatchConsumer<Probe>({
      service: 'lag-test',
      groupId,
      kafka,
      codecs: [codecs.probes],
      producer,
      deadLetters: codecs.deadLetters,
      metrics,
      logger,
      handler: async ({ records }) => {
        seen += records.length;
      },
    });
    await consumer.start();
    try {
      expect(await eventually(() => seen >= sent.length, 60_000)).toBe(true);
      const caughtUp = await eventually(async () => {
        await consumer.refreshLag();
        const lag = await metrics.getSingleMetric('tally_consumer_lag')!.get();
        return lag.values.length === 3 && lag.values.every((v) => v.value === 0);
      }, 30_000);
      expect(caughtUp).toBe(true);
      const processed = await metrics.getSingleMetric('tally_records_processed_total')!.get();
      expect(processed.values).toEqual([{ labels: { group: groupId, topic }, value: sent.length }]);
      expect(await metrics.metrics()).toContain('tally_batch_duration_seconds_bucket');
    } finally {
      await consumer.stop();
    }
    await withAdmin(stack.brokers, async (admin) => {
      const after = await consumerLag(admin, groupId, [topic]);
      expect(after.map((p) => p.lag)).toEqual([0, 0, 0]);
      expect(after.reduce((sum, p) => sum + p.committed, 0)).toBe(sent.length);
    });
  });

  it('is readable by a third-party client: kcat lists the topic and sees the Confluent framing and the registered schema id', () => {
    const broker = stack.brokers[0]!;
    const metadata = JSON.parse(execFileSync('kcat', ['-b', broker, '-L', '-J'], { encoding: 'utf8' })) as { topics: { topic: string; partitions: unknown[] }[] };
    const listed = metadata.topics.find((t) => t.topic === topic);
    expect(listed?.partitions).toHaveLength(3);

    let raw = Buffer.alloc(0);
    for (const p of [0, 1, 2]) {
      raw = execFileSync('kcat', ['-b', broker, '-C', '-t', topic, '-p', String(p), '-o', 'beginning', '-c', '1', '-e', '-q', '-f', '%s'], { maxBuffer: 1 << 20 });
      if (raw.length > 0) break;
    }
    expect(raw.length).toBeGreaterThan(5);
    expect(raw[0]).toBe(0); // Confluent magic byte
    expect(raw.readInt32BE(1)).toBe(codecs.schemaId); // the id the registry gave probe.avsc
  });
});
