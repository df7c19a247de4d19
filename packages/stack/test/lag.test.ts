/**
 * `tally lag` against Kafka's own kafka-consumer-groups (run from the broker's jars with the machine's Java):
 * the same committed offset, log-end offset and lag for every partition the tool lists.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PartitionLag } from '@tally/streaming';
import { createTestTopics, testKafka, uniqueName, withAdmin } from '@tally/testkit';
import { kafkaClasspath } from '../src/kafka-broker.js';
import { groupLag, lagTable } from '../src/lag.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const stack = inject('stack');
const topic = uniqueName('test.lag');
const group = uniqueName('lag-group');
const idle = uniqueName('lag-idle');

beforeAll(async () => {
  await createTestTopics(stack.brokers, [{ name: topic, partitions: 3 }]);
  const producer = testKafka(stack.brokers).producer();
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: 60 }, (_, i) => ({ partition: i % 3, value: `record ${i}` })),
  });
  await producer.disconnect();
  // partition 0 half done, partition 1 done, partition 2 never committed; a second group all behind
  await withAdmin(stack.brokers, async (admin) => {
    await admin.setOffsets({
      groupId: group,
      topic,
      partitions: [
        { partition: 0, offset: '10' },
        { partition: 1, offset: '20' },
      ],
    });
    await admin.setOffsets({
      groupId: idle,
      topic,
      partitions: [0, 1, 2].map((partition) => ({ partition, offset: '0' })),
    });
  });
});

afterAll(async () => {
  await withAdmin(stack.brokers, (admin) => admin.deleteGroups([group, idle]).catch(() => undefined));
});

/** kafka-consumer-groups --describe, parsed: partition → [current offset, log-end offset, lag]. */
async function kafkaConsumerGroups(groupId: string): Promise<Map<number, [number, number, number]>> {
  const { stdout } = await run(
    'java',
    [
      '-cp',
      kafkaClasspath(),
      'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
      '--bootstrap-server',
      stack.brokers.join(','),
      '--describe',
      '--group',
      groupId,
    ],
    {
      timeout: 60_000,
    },
  );
  const rows = new Map<number, [number, number, number]>();
  for (const line of stdout.split('\n')) {
    const cells = line.trim().split(/\s+/);
    if (cells[0] === groupId && cells[1] === topic)
      rows.set(Number(cells[2]), [Number(cells[3]), Number(cells[4]), Number(cells[5])]);
  }
  return rows;
}

describe('tally lag', () => {
  it('agrees with kafka-consumer-groups on every partition it lists', async () => {
    for (const groupId of [group, idle]) {
      const ours = await withAdmin(stack.brokers, (admin) => groupLag(admin, { groups: [groupId] }));
      const theirs = await kafkaConsumerGroups(groupId);
      expect(theirs.size).toBeGreaterThan(0);
      for (const [partition, [current, end, lag]] of theirs) {
        const row = ours.find((r) => r.topic === topic && r.partition === partition);
        expect(row, `partition ${partition}`).toMatchObject({ committed: current, end, lag });
      }
    }
    const ours = await withAdmin(stack.brokers, (admin) => groupLag(admin, { groups: [group] }));
    expect(ours.map((r) => [r.partition, r.committed, r.end, r.lag])).toEqual([
      [0, 10, 20, 10],
      [1, 20, 20, 0],
      // never committed: the tool leaves it out; we count it from the first retained record, where the group would start
      [2, -1, 20, 20],
    ]);
  });

  it('prints a table and JSON from the CLI, for chosen groups or a prefix', async () => {
    const env = { ...process.env, KAFKA_BROKERS: stack.brokers.join(',') };
    const json = await run(process.execPath, ['--import', 'tsx', cli, 'lag', '--group', `${group},${idle}`, '--json'], {
      env,
      timeout: 60_000,
    });
    const rows = JSON.parse(json.stdout) as PartitionLag[];
    expect(rows.filter((r) => r.group === idle).map((r) => r.lag)).toEqual([20, 20, 20]);
    const table = await run(process.execPath, ['--import', 'tsx', cli, 'lag', '--prefix', group], {
      env,
      timeout: 60_000,
    });
    expect(table.stdout).toContain(`${group}: total lag 30`);
    expect(table.stdout).not.toContain(idle);
    expect(lagTable(rows)).toContain('COMMITTED');
  });
});
