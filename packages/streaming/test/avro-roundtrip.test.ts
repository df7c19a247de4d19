import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMetrics } from '@tally/observability';
import { eventually, uniqueName, withAdmin } from '@tally/testkit';
import { consumerLag, type ConsumedRecord } from '../src/index.js';
import { probe, probeWorld, type Probe } from './fixtures/probe.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof probeWorld>>;

beforeAll(async () => {
  world = await probeWorld(stack, 'roundtrip', 3);
});

afterAll(async () => {
  await world?.close();
});

describe('Avro through the real broker and schema registry', () => {
  const sent = Array.from({ length: 300 }, (_, i) => probe(i));

  it('produces typed records that a batch consumer receives and decodes field for field', async () => {
    await world.producer.sendAll(
      world.codecs.probes,
      sent.map((value) => ({ key: `${value.source}:${value.seq % 7}`, value })),
    );

    const received: ConsumedRecord<Probe>[] = [];
    const consumer = world.consumer(async ({ records }) => {
      received.push(...records);
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
      const before = await consumerLag(admin, groupId, [world.topic]);
      expect(before.reduce((sum, p) => sum + p.lag, 0)).toBe(sent.length);
    });
    const metrics = createMetrics('lag-test');
    let seen = 0;
    const consumer = world.consumer(
      async ({ records }) => {
        seen += records.length;
      },
      { groupId, metrics },
    );
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
      expect(processed.values).toEqual([{ labels: { group: groupId, topic: world.topic }, value: sent.length }]);
      expect(await metrics.metrics()).toContain('tally_batch_duration_seconds_bucket');
    } finally {
      await consumer.stop();
    }
    await withAdmin(stack.brokers, async (admin) => {
      const after = await consumerLag(admin, groupId, [world.topic]);
      expect(after.map((p) => p.lag)).toEqual([0, 0, 0]);
      expect(after.reduce((sum, p) => sum + p.committed, 0)).toBe(sent.length);
    });
  });

  it('is readable by a third-party client: kcat lists the topic and sees the Confluent framing and the registered schema id', () => {
    const broker = stack.brokers[0]!;
    const metadata = JSON.parse(execFileSync('kcat', ['-b', broker, '-L', '-J'], { encoding: 'utf8' })) as {
      topics: { topic: string; partitions: unknown[] }[];
    };
    const listed = metadata.topics.find((t) => t.topic === world.topic);
    expect(listed?.partitions).toHaveLength(3);

    let raw = Buffer.alloc(0);
    for (const p of [0, 1, 2]) {
      raw = execFileSync(
        'kcat',
        ['-b', broker, '-C', '-t', world.topic, '-p', String(p), '-o', 'beginning', '-c', '1', '-e', '-q', '-f', '%s'],
        { maxBuffer: 1 << 20 },
      );
      if (raw.length > 0) break;
    }
    expect(raw.length).toBeGreaterThan(5);
    expect(raw[0]).toBe(0); // Confluent magic byte
    expect(raw.readInt32BE(1)).toBe(world.codecs.schemaId); // the id the registry gave probe.avsc
  });
});
