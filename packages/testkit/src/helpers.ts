import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { createLogger, type Logger } from '@tally/observability';
import { SchemaRegistryAdmin, schemas } from '@tally/schemas';

type SchemaName = keyof typeof schemas;

/** A name no earlier run used, so tests never see each other's records or state. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function testKafka(brokers: string[], clientId = 'tally-test'): Kafka {
  return new Kafka({ brokers, clientId, logLevel: logLevel.ERROR });
}

export async function withAdmin<T>(brokers: string[], work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates the topics and returns once every one has a leader and shows in the metadata. Right after creation
 * the broker may still answer "does not host this topic-partition" (retriable) while metadata propagates;
 * kafkajs gives up on that one, so creating is retried here.
 */
export async function createTestTopics(
  brokers: string[],
  topics: { name: string; partitions?: number }[],
): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    const spec = topics.map((t) => ({ topic: t.name, numPartitions: t.partitions ?? 3, replicationFactor: 1 }));
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics({ waitForLeaders: true, topics: spec });
        break;
      } catch (error) {
        if (attempt >= 10 || !(error as { retriable?: boolean }).retriable) throw error;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
    const visible = await eventually(
      () =>
        admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) }).then(
          () => true,
          () => false,
        ),
      30_000,
      100,
    );
    if (!visible) throw new Error(`topics ${topics.map((t) => t.name).join(', ')} never showed in the metadata`);
  });
}

export const quietLogger = (): Logger => createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');

/** Polls until `probe` returns true or the time is up; returns whether it came true. */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

/** Fresh topics, each with its value schema registered under `<topic>-value`, as `tally stack up` does. */
export async function createTopicsWithSchemas(
  stack: { brokers: string[]; registryUrl: string },
  topics: { name: string; partitions?: number; schema: SchemaName }[],
): Promise<void> {
  await createTestTopics(stack.brokers, topics);
  const registry = new SchemaRegistryAdmin(stack.registryUrl);
  for (const t of topics) await registry.registerTopicValue(t.name, schemas[t.schema]);
}

/** The first `count` records of `topic` from its beginning, decoded (a late-topic or dead-letter reader for tests). */
export async function readRecords<T>(
  brokers: string[],
  topic: string,
  codec: { decode: (bytes: Buffer | null) => Promise<T> },
  count: number,
  timeoutMs = 30_000,
): Promise<T[]> {
  const records: T[] = [];
  const reader = testKafka(brokers, 'tally-test-reader').consumer({
    groupId: uniqueName('reader'),
    maxWaitTimeInMs: 200,
  });
  await reader.connect();
  try {
    await reader.subscribe({ topic, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void records.push(await codec.decode(message.value)) });
    await eventually(() => records.length >= count, timeoutMs);
  } finally {
    await reader.disconnect();
  }
  return records;
}

/** A clock a test moves by hand (services take `now`), so windows and expiries pass through hours in no time. */
export class TestClock {
  constructor(public nowMs: number) {}
  now = () => this.nowMs;
}
