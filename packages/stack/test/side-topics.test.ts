/**
 * `tally dlq` and `tally late` against the real broker and registry: side topics of the test's own, holding
 * DeadLetter and LateRecord records whose value bytes are real Confluent-framed records of Tally schemas. The CLI
 * lists, counts and shows them, leaves no consumer group behind, and a redrive puts byte-identical records back on
 * their source topic with a progress bar; it refuses when nothing matches or a source topic is gone.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Partitioners, type KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createSchemaRegistry,
  topicCodec,
  type DeadLetter,
  type Heartbeat,
  type LateRecord,
  type WalletCommand,
  walletCommand,
} from '@tally/schemas';
import { createTopicsWithSchemas, testKafka, uniqueName, withAdmin } from '@tally/testkit';
import { TOPICS } from '@tally/contracts';
import { readSideTopic, redrive } from '../src/side-topic-io.js';
import { REDRIVEN_FROM_HEADER } from '../src/side-topics.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const stack = inject('stack');
const topics = {
  wallet: uniqueName('test.side.wallet'),
  beats: uniqueName('test.side.beats'),
  gone: uniqueName('test.side.gone'),
  dlq: uniqueName('test.side.dlq'),
  late: uniqueName('test.side.late'),
};
const registry = createSchemaRegistry(stack.registryUrl);
const T = Date.now() - 60_000;

interface Original {
  key: Buffer;
  value: Buffer;
  headers: Record<string, string>;
}

/** What went to the side topics: the original records (real Confluent-framed values) and where they "were". */
const commands: Original[] = [];
const beats: Original[] = [];

async function tally(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = { ...process.env, KAFKA_BROKERS: stack.brokers.join(','), SCHEMA_REGISTRY_URL: stack.registryUrl };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args], { env, timeout: 90_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

const cliGroups = () =>
  withAdmin(stack.brokers, async (admin) =>
    (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith('tally-cli-'))
      .sort(),
  );
let groupsBefore: string[];

/** Every record of a topic (a test's own consumer group, deleted afterwards). */
async function readAll(topic: string, expected: number): Promise<KafkaMessage[]> {
  const groupId = uniqueName('side-test-reader');
  const consumer = testKafka(stack.brokers).consumer({ groupId, maxWaitTimeInMs: 250 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`read ${messages.length} of ${expected} records of ${topic}`)),
      60_000,
    );
    void consumer.run({
      eachMessage: async ({ message }) => {
        messages.push(message);
        if (messages.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  await withAdmin(stack.brokers, (admin) => admin.deleteGroups([groupId]).catch(() => undefined));
  return messages;
}

const headerStrings = (message: KafkaMessage) =>
  Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.wallet, partitions: 2, schema: TOPICS.walletCommands.valueSchema },
    { name: topics.beats, partitions: 1, schema: TOPICS.viewerHeartbeats.valueSchema },
    { name: topics.dlq, partitions: 2, schema: TOPICS.deadLetters.valueSchema },
    { name: topics.late, partitions: 1, schema: TOPICS.late.valueSchema },
  ]);
  groupsBefore = await cliGroups();
  const walletCodec = topicCodec(registry, topics.wallet, TOPICS.walletCommands.valueSchema);
  const beatCodec = topicCodec(registry, topics.beats, TOPICS.viewerHeartbeats.valueSchema);
  for (let i = 0; i < 3; i++) {
    const command: WalletCommand = walletCommand({
      source: 'side-test',
      seq: i,
      userId: `user-${i}`,
      type: 'DEBIT',
      asset: 'coins',
      amountMinor: 100 * (i + 1),
      receivedAtMs: T,
    });
    commands.push({
      key: Buffer.from(`user-${i}`),
      value: await walletCodec.encode(command),
      headers: { 'trace-id': `trace-${i}`, binary: randomBytes(4).toString('hex') },
    });
  }
  for (let i = 0; i < 2; i++) {
    const beat: Heartbeat = {
      source: 'player-7',
      seq: 40 + i,
      streamId: 'stream-9',
      sessionId: `session-${i}`,
      userId: null,
      positionMs: 1000,
      state: 'PLAYING',
      atMs: T - 900_000,
      receivedAtMs: T,
    };
    beats.push({ key: Buffer.from('stream-9'), value: await beatCodec.encode(beat), headers: {} });
  }

  const dead = (partitionOffset: number, original: Original, more: Partial<DeadLetter>): DeadLetter => ({
    service: 'wallet-ledger',
    consumerGroup: 'wallet-ledger',
    sourceTopic: topics.wallet,
    partition: 0,
    offset: partitionOffset,
    reasonCode: 'REJECTED',
    reason: 'amountMinor exceeds what one command may move',
    key: original.key,
    value: original.value,
    headers: original.headers,
    recordTimestampMs: T,
    failedAtMs: T + partitionOffset,
    ...more,
  });
  const garbage: Original = { key: Buffer.from('stream-x'), value: Buffer.from('not an avro record'), headers: {} };
  const deadLetters: { partition: number; record: DeadLetter }[] = [
    { partition: 0, record: dead(10, commands[0]!, {}) },
    {
      partition: 0,
      record: dead(11, commands[1]!, {
        reasonCode: 'PROCESSING_FAILED',
        reason: 'Postgres refused the batch again and again',
      }),
    },
    // the same source record reported again (at least once), in the other partition of the side topic
    { partition: 1, record: dead(10, commands[0]!, { failedAtMs: T + 50 }) },
    { partition: 1, record: dead(12, commands[2]!, {}) },
    {
      partition: 0,
      record: dead(3, garbage, {
        service: 'viewer-aggregator',
        consumerGroup: 'viewer-aggregator',
        sourceTopic: topics.beats,
        reasonCode: 'DECODE_FAILED',
        reason: 'not a Confluent-framed Avro record (18 bytes, first byte 110)',
      }),
    },
    // from a topic deleted since (never created here)
    {
      partition: 1,
      record: dead(5, commands[1]!, { sourceTopic: topics.gone, reasonCode: 'PROCESSING_FAILED', reason: 'gone' }),
    },
  ];
  const late = (offset: number, original: Original, more: Partial<LateRecord>): LateRecord => ({
    service: 'viewer-aggregator',
    consumerGroup: 'viewer-aggregator',
    sourceTopic: topics.beats,
    partition: 0,
    offset,
    writeId: `player-7:${40 + offset}`,
    reasonCode: 'AFTER_GRACE',
    reason: 'received 900 s after its minute ended; viewers.history.minute allows 300 s',
    windows: ['viewers.history.minute'],
    otherEffectsApplied: true,
    eventTimeMs: T - 900_000,
    receivedAtMs: T,
    key: original.key,
    value: original.value,
    headers: original.headers,
    recordTimestampMs: T,
    setAsideAtMs: T + offset,
    ...more,
  });
  const lateRecords = [
    late(0, beats[0]!, {}),
    late(1, beats[1]!, {
      reasonCode: 'BEYOND_IDEMPOTENCY_HORIZON',
      windows: [],
      otherEffectsApplied: false,
      reason: 'older than the seq window',
    }),
    late(0, beats[0]!, { setAsideAtMs: T + 9 }),
  ];

  const dlqCodec = topicCodec(registry, topics.dlq, TOPICS.deadLetters.valueSchema);
  const lateCodec = topicCodec(registry, topics.late, TOPICS.late.valueSchema);
  const producer = testKafka(stack.brokers).producer({
    idempotent: true,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  // the originals first, as they were on their topics
  await producer.send({
    topic: topics.wallet,
    acks: -1,
    messages: commands.map((c) => ({ key: c.key, value: c.value, headers: c.headers })),
  });
  for (const { partition, record } of deadLetters) {
    await producer.send({
      topic: topics.dlq,
      acks: -1,
      messages: [{ partition, key: record.key, value: await dlqCodec.encode(record) }],
    });
  }
  for (const record of lateRecords) {
    await producer.send({
      topic: topics.late,
      acks: -1,
      messages: [
        { key: `${record.sourceTopic}/${record.partition}/${record.offset}`, value: await lateCodec.encode(record) },
      ],
    });
  }
  await producer.disconnect();
});

afterAll(async () => {
  await withAdmin(stack.brokers, (admin) =>
    admin.deleteTopics({ topics: Object.values(topics).filter((t) => t !== topics.gone) }).catch(() => undefined),
  );
});

describe('tally dlq and tally late', () => {
  it('lists every record with where it is, when, service, source, reason, and marks the repeat', async () => {
    const { stdout, code } = await tally('dlq', 'list', '--topic', topics.dlq);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^AT\s+WHEN\s+SERVICE\s+SOURCE\s+REASON\s+WHY$/);
    // oldest first, by when they went aside
    expect(lines.slice(1, 7).map((l) => l.split(/\s+/)[0])).toEqual(['0:2', '1:2', '0:0', '0:1', '1:1', '1:0']);
    expect(stdout).toMatch(
      new RegExp(
        `0:0\\s+${new Date(T + 10).toISOString()}\\s+wallet-ledger\\s+${topics.wallet.replaceAll('.', '\\.')}\\[0\\]@10\\s+REJECTED\\s+amountMinor exceeds`,
      ),
    );
    expect(stdout).toMatch(/1:0\s.*\(repeat of 0:0\)/);
    expect(stdout).toContain('6 record(s) in');

    const filtered = await tally(
      'dlq',
      'list',
      '--topic',
      topics.dlq,
      '--reason',
      'processing_failed',
      '--source-topic',
      topics.wallet,
      '--json',
    );
    const rows = JSON.parse(filtered.stdout) as { at: string; reasonCode: string; offset: number; value: string }[];
    expect(rows.map((r) => [r.at, r.reasonCode, r.offset])).toEqual([['0:1', 'PROCESSING_FAILED', 11]]);
    expect(Buffer.from(rows[0]!.value, 'base64').equals(commands[1]!.value)).toBe(true);

    const late = await tally(
      'late',
      'list',
      '--topic',
      topics.late,
      '--since',
      new Date(T + 1).toISOString(),
      '--limit',
      '1',
    );
    expect(late.stdout).toMatch(/^AT\s+WHEN\s+SERVICE\s+SOURCE\s+REASON\s+WRITE\s+WHY$/m);
    expect(late.stdout).toMatch(/0:1\s.*BEYOND_IDEMPOTENCY_HORIZON\s+player-7:41\s+older than the seq window/);
    expect(late.stdout).not.toMatch(/^0:2\s/m);
  });

  it('counts by service and reason (late ones also by window), each source record once, and says so', async () => {
    const { stdout } = await tally('dlq', 'count', '--topic', topics.dlq);
    expect(stdout).toMatch(/wallet-ledger\s+wallet-ledger\s+PROCESSING_FAILED\s+2/);
    expect(stdout).toMatch(/wallet-ledger\s+wallet-ledger\s+REJECTED\s+2/);
    expect(stdout).toMatch(/viewer-aggregator\s+viewer-aggregator\s+DECODE_FAILED\s+1/);
    expect(stdout).toContain(
      `${topics.dlq}: 5 dead-lettered source record(s) from 6 record(s) read; deduplicated by consumer group and source topic/partition/offset (1 repeat not counted again)`,
    );

    const json = JSON.parse((await tally('late', 'count', '--topic', topics.late, '--json')).stdout) as {
      read: number;
      distinct: number;
      rows: { reasonCode: string; records: number; windows: Record<string, number> }[];
    };
    expect(json).toMatchObject({ read: 3, distinct: 2 });
    expect(json.rows).toEqual([
      expect.objectContaining({ reasonCode: 'AFTER_GRACE', records: 1, windows: { 'viewers.history.minute': 1 } }),
      expect.objectContaining({ reasonCode: 'BEYOND_IDEMPOTENCY_HORIZON', records: 1, windows: { '(none)': 1 } }),
    ]);
  });

  it('shows one record whole, the original decoded with the schema id inside its bytes, and its headers', async () => {
    const { stdout, code } = await tally('dlq', 'show', '0:0', '--topic', topics.dlq);
    expect(code).toBe(0);
    expect(stdout).toContain(`source          ${topics.wallet} partition 0 offset 10`);
    expect(stdout).toContain('reason          REJECTED: amountMinor exceeds what one command may move');
    expect(stdout).toContain(`headers         trace-id=trace-0, binary=${commands[0]!.headers.binary}`);
    // a schema name is letters and dots: only the dots need escaping
    const schemaName = TOPICS.walletCommands.valueSchema.replaceAll('.', '\\.');
    expect(stdout).toMatch(new RegExp(`original value {2}\\d+ bytes, schema id \\d+ \\(${schemaName}\\):`));
    expect(stdout).toContain('"userId": "user-0"');
    expect(stdout).toContain('"amountMinor": 100');

    const garbage = await tally('dlq', 'show', '0:2', '--topic', topics.dlq);
    expect(garbage.stdout).toContain('not decodable: not a Confluent-framed record (18 bytes, first byte 110)');

    const late = JSON.parse((await tally('late', 'show', '1', '--topic', topics.late, '--json')).stdout) as {
      writeId: string;
      original: { schemaName: string; value: Heartbeat };
    };
    expect(late.writeId).toBe('player-7:41');
    expect(late.original.schemaName).toBe(TOPICS.viewerHeartbeats.valueSchema);
    expect(late.original.value).toMatchObject({ source: 'player-7', seq: 41, sessionId: 'session-1' });

    const missing = await tally('dlq', 'show', '0:99', '--topic', topics.dlq);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`${topics.dlq} has no record at 0:99`);
  });

  it('refuses a redrive that matches nothing, or whose source topic is gone, and sends nothing', async () => {
    const nothing = await tally('dlq', 'redrive', '--topic', topics.dlq, '--service', 'queue-admitter');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain(
      `tally: no dead-lettered record in ${topics.dlq} matches (service queue-admitter): nothing to send`,
    );
    const gone = await tally('dlq', 'redrive', '--topic', topics.dlq, '--reason', 'PROCESSING_FAILED');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(
      `source topic ${topics.gone} (1 record(s)) no longer exists on this cluster: nothing was sent`,
    );
    const dry = await tally('dlq', 'redrive', '--topic', topics.dlq, '--source-topic', topics.wallet, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `dry run: would send 3 of 4 chosen record(s) from ${topics.dlq} back (${topics.wallet}: 3); 1 repeat(s) of the same source record sent once; nothing was sent`,
    );
    const offsets = await withAdmin(stack.brokers, (admin) => admin.fetchTopicOffsets(topics.wallet));
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(commands.length);
  });

  it('redrives chosen records back to their source topic byte for byte, with progress, each source record once', async () => {
    const { stdout, stderr, code } = await tally(
      'dlq',
      'redrive',
      '--topic',
      topics.dlq,
      '--offsets',
      '0:0,0:1,1:0,1:1',
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/redrive .*100% 3\/3 records/);
    expect(stdout).toContain(`sent 3 record(s) from ${topics.dlq} back to their source topics (${topics.wallet}: 3)`);
    expect(stdout).toContain('1 repeat(s) of the same source record sent once');

    const all = await readAll(topics.wallet, commands.length + 3);
    const redriven = all.filter((m) => m.headers?.[REDRIVEN_FROM_HEADER] !== undefined);
    expect(redriven).toHaveLength(3);
    const from = new Map([
      [`${topics.dlq}/0/0`, commands[0]!],
      [`${topics.dlq}/0/1`, commands[1]!],
      [`${topics.dlq}/1/1`, commands[2]!],
    ]);
    for (const message of redriven) {
      const { [REDRIVEN_FROM_HEADER]: origin, ...headers } = headerStrings(message);
      const original = from.get(origin!);
      expect(original, origin).toBeDefined();
      expect(message.key!.equals(original!.key)).toBe(true);
      expect(message.value!.equals(original!.value)).toBe(true);
      expect(headers).toEqual(original!.headers);
    }
  });

  it('redrives late records through the module with progress reported, and leaves no consumer group behind', async () => {
    const kafka = testKafka(stack.brokers);
    const read = await readSideTopic(kafka, stack.registryUrl, 'late', topics.late);
    expect(read.entries).toHaveLength(3);
    const progress: { done: number; total: number }[] = [];
    const summary = await redrive(
      kafka,
      read,
      'late',
      topics.late,
      { reason: 'after_grace' },
      { onProgress: (p) => progress.push(p) },
    );
    expect(summary).toMatchObject({ dryRun: false, chosen: 2, repeats: 1, sent: 1 });
    expect(progress.at(0)).toEqual({ done: 0, total: 1 });
    expect(progress.at(-1)).toEqual({ done: 1, total: 1 });
    const [back] = await readAll(topics.beats, 1);
    expect(back!.value!.equals(beats[0]!.value)).toBe(true);
    expect(headerStrings(back!)).toEqual({ [REDRIVEN_FROM_HEADER]: `${topics.late}/0/0` });

    expect(await cliGroups()).toEqual(groupsBefore);
  });
});
