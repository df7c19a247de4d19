import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMetrics } from '@tally/observability';
import { eventually, readRecords } from '@tally/testkit';
import { formatWriteKey } from '@tally/contracts';
import { probe, probeWorld } from './fixtures/probe.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof probeWorld>>;

beforeAll(async () => {
  world = await probeWorld(stack, 'late', 1);
});

afterAll(async () => {
  await world?.close();
});

describe('the late topic', () => {
  it('takes what a handler sets aside, with its reason, windows and original bytes, before the offsets move', async () => {
    for (const seq of [0, 1, 2])
      await world.producer.send(world.codecs.probes, {
        key: 'k',
        value: { ...probe(seq), label: seq === 1 ? 'late' : 'on time' },
      });
    const metrics = createMetrics('late-test');
    const applied: number[] = [];
    const consumer = world.consumer(
      async ({ records, setAside }) => {
        const late = records.filter((r) => r.value.label === 'late');
        await setAside(
          late.map((record) => ({
            record,
            writeId: formatWriteKey(record.value),
            reasonCode: 'AFTER_GRACE',
            reason: 'received 2 h after its minute ended; the minute allows 10 min',
            windows: ['probe.minute'],
            otherEffectsApplied: true,
            eventTimeMs: 1000,
            receivedAtMs: 7_201_000,
          })),
        );
        applied.push(...records.map((r) => r.value.seq));
      },
      { metrics },
    );
    await consumer.start();
    try {
      expect(await eventually(() => applied.includes(2), 60_000)).toBe(true);
    } finally {
      await consumer.stop();
    }
    const [late] = await readRecords(stack.brokers, world.lateTopic, world.codecs.lateRecords, 1);
    expect(late).toMatchObject({
      service: 'late-test',
      sourceTopic: world.topic,
      partition: 0,
      offset: 1,
      writeId: 'test-source:1',
      reasonCode: 'AFTER_GRACE',
      windows: ['probe.minute'],
      otherEffectsApplied: true,
      eventTimeMs: 1000,
      receivedAtMs: 7_201_000,
    });
    expect(late!.key?.toString()).toBe('k');
    // the original bytes decode to the original record, so the record can be produced again as it was
    expect(await world.codecs.probes.decode(late!.value)).toMatchObject({ seq: 1, label: 'late' });
    const counted = await metrics.getSingleMetric('tally_late_records_total')!.get();
    expect(counted.values.map((v) => [v.labels.reason, v.value])).toEqual([['AFTER_GRACE', 1]]);
  });
});
