/**
 * The side topics on a cluster: read one from the beginning to the end it had when the read began (a consumer in
 * a throwaway group that commits nothing, deleted afterwards), decode it with the registry, decode an original
 * record by the schema id in its bytes, and send chosen records back to their source topics.
 */
import { randomBytes } from 'node:crypto';
import { Partitioners, type Admin, type Kafka, type KafkaMessage } from 'kafkajs';
import { createSchemaRegistry, topicCodec } from '@tally/schemas';
import { TOPICS } from '@tally/contracts';
import {
  SIDE_NOUN,
  SideTopicRefusedError,
  choose,
  describeFilter,
  redriveMessages,
  type DecodedOriginal,
  type RedriveMessage,
  type SideEntry,
  type SideFilter,
  type SideKind,
} from './side-topics.js';

type Registry = ReturnType<typeof createSchemaRegistry>;

export interface SideTopicRead {
  entries: SideEntry[];
  /** Records of the side topic that are not records of its schema (never written by Tally). */
  unreadable: { partition: number; offset: number; error: string }[];
}

/** How long a read may take before it gives up (a large side topic on a slow link). */
const READ_TIMEOUT_MS = 120_000;

/**
 * Every record of the side topic from its first retained offset to the end offsets it had when the read began;
 * what arrives meanwhile is left for the next read. The consumer's group is a fresh name, commits nothing and is
 * deleted afterwards, so no group is left behind on the cluster.
 */
export async function readSideTopic(
  kafka: Kafka,
  registryUrl: string,
  kind: SideKind,
  topic: string,
  options: { timeoutMs?: number } = {},
): Promise<SideTopicRead> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic))
      throw new SideTopicRefusedError(
        `topic ${topic} does not exist on this cluster (choose it with --topic, or the cluster with --brokers)`,
      );
    const ends = new Map(
      (await admin.fetchTopicOffsets(topic))
        .filter((p) => Number(p.high) > Number(p.low))
        .map((p) => [p.partition, Number(p.high)]),
    );
    const messages =
      ends.size === 0 ? [] : await fetchUpTo(kafka, admin, topic, kind, ends, options.timeoutMs ?? READ_TIMEOUT_MS);
    return await decodeAll(registryUrl, kind, topic, messages);
  } finally {
    await admin.disconnect();
  }
}

interface RawRecord {
  partition: number;
  message: KafkaMessage;
}

async function fetchUpTo(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  kind: SideKind,
  ends: Map<number, number>,
  timeoutMs: number,
): Promise<RawRecord[]> {
  const groupId = `tally-cli-${kind}-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  const records: RawRecord[] = [];
  const remaining = new Set(ends.keys());
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `reading ${topic} took longer than ${timeoutMs / 1000} s (${remaining.size} partition(s) not read to their end)`,
            ),
          ),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            if (end === undefined) return;
            for (const message of batch.messages)
              if (Number(message.offset) < end) records.push({ partition: batch.partition, message });
            // lastOffset() counts records the client filtered out (control records) too, so a gap cannot stall the read
            if (Number(batch.lastOffset()) >= end - 1 && remaining.delete(batch.partition) && remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    // the group has no members now and committed nothing; deleting it leaves the cluster as it was
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return records;
}

async function decodeAll(
  registryUrl: string,
  kind: SideKind,
  topic: string,
  records: RawRecord[],
): Promise<SideTopicRead> {
  const registry = createSchemaRegistry(registryUrl);
  const deadLetters = topicCodec(registry, topic, TOPICS.deadLetters.valueSchema);
  const late = topicCodec(registry, topic, TOPICS.late.valueSchema);
  const read: SideTopicRead = { entries: [], unreadable: [] };
  for (const { partition, message } of records) {
    const offset = Number(message.offset);
    const key = message.key?.toString('utf8') ?? null;
    try {
      read.entries.push(
        kind === 'dlq'
          ? { kind, partition, offset, key, record: await deadLetters.decode(message.value) }
          : { kind, partition, offset, key, record: await late.decode(message.value) },
      );
    } catch (error) {
      read.unreadable.push({ partition, offset, error: error instanceof Error ? error.message : String(error) });
    }
  }
  read.entries.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  return read;
}

/**
 * The original record's value, decoded with the writer schema its Confluent frame names (whatever topic it came
 * from); a value that is not such a record (often why it was dead-lettered) says why instead.
 */
export async function decodeOriginal(registry: Registry, value: Buffer | null): Promise<DecodedOriginal> {
  if (value === null) return { error: 'the value is null' };
  if (value.length < 5 || value[0] !== 0)
    return { error: `not a Confluent-framed record (${value.length} bytes, first byte ${value[0]})` };
  const schemaId = value.readInt32BE(1);
  try {
    const schema = (await registry.getSchema(schemaId)) as { name?: string };
    return { schemaId, schemaName: schema.name ?? 'unnamed schema', value: await registry.decode(value) };
  } catch (error) {
    return { error: `schema id ${schemaId}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The topics that records would be sent back to but that the cluster no longer has. */
export async function missingTopics(admin: Admin, topics: Iterable<string>): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  return [...new Set(topics)].filter((t) => !existing.has(t)).sort();
}

export interface RedriveProgress {
  done: number;
  total: number;
}

/** Records per produce request: progress moves at least this often. */
const REDRIVE_CHUNK = 200;

/**
 * Sends the messages to their source topics with an idempotent producer, acks=all, one request in flight (so they
 * arrive in the order given), partitioned by key as Tally's own producers do (the Java client's murmur2), so a
 * record lands where new records with its key go; a record without a key goes back to its original partition.
 */
export async function sendBack(
  kafka: Kafka,
  messages: readonly RedriveMessage[],
  onProgress: (p: RedriveProgress) => void = () => undefined,
): Promise<{ sent: number; seconds: number; perTopic: Map<string, number> }> {
  const started = Date.now();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const perTopic = new Map<string, number>();
  let done = 0;
  onProgress({ done, total: messages.length });
  try {
    for (let i = 0; i < messages.length; i += REDRIVE_CHUNK) {
      const chunk = messages.slice(i, i + REDRIVE_CHUNK);
      const byTopic = new Map<string, RedriveMessage[]>();
      for (const m of chunk) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, sent]) => ({
          topic,
          messages: sent.map((m) => ({
            key: m.key,
            value: m.value,
            headers: m.headers,
            ...(m.key === null ? { partition: m.entry.record.partition } : {}),
          })),
        })),
      });
      for (const m of chunk) perTopic.set(m.topic, (perTopic.get(m.topic) ?? 0) + 1);
      done += chunk.length;
      onProgress({ done, total: messages.length });
    }
  } finally {
    await producer.disconnect();
  }
  return { sent: done, seconds: (Date.now() - started) / 1000, perTopic };
}

export interface RedriveSummary {
  dryRun: boolean;
  /** Records the filter chose, repeats of one source record among them, and what is (or would be) sent. */
  chosen: number;
  repeats: number;
  messages: RedriveMessage[];
  sent: number;
  seconds: number;
  perTopic: Map<string, number>;
}

/**
 * Sends the records a filter chooses back to their source topics (see `sendBack`), each source record once.
 * Refused when nothing matches or when a source topic no longer exists (then nothing is sent at all).
 */
export async function redrive(
  kafka: Kafka,
  read: SideTopicRead,
  kind: SideKind,
  topic: string,
  filter: SideFilter,
  options: { dryRun?: boolean; onProgress?: (p: RedriveProgress) => void } = {},
): Promise<RedriveSummary> {
  const chosen = choose(kind, read.entries, filter);
  if (chosen.length === 0)
    throw new SideTopicRefusedError(
      `no ${SIDE_NOUN[kind]} record in ${topic} matches${describeFilter(filter)}: nothing to send`,
    );
  const { messages, repeats } = redriveMessages(topic, chosen);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const missing = await missingTopics(
      admin,
      messages.map((m) => m.topic),
    );
    if (missing.length > 0) {
      const from = (t: string) => messages.filter((m) => m.topic === t).length;
      throw new SideTopicRefusedError(
        `source topic${missing.length === 1 ? '' : 's'} ${missing.map((t) => `${t} (${from(t)} record(s))`).join(', ')} no longer exist${missing.length === 1 ? 's' : ''} on this cluster: nothing was sent (narrow the choice with --source-topic or --offsets)`,
      );
    }
  } finally {
    await admin.disconnect();
  }
  const perTopic = new Map<string, number>();
  for (const m of messages) perTopic.set(m.topic, (perTopic.get(m.topic) ?? 0) + 1);
  if (options.dryRun) return { dryRun: true, chosen: chosen.length, repeats, messages, sent: 0, seconds: 0, perTopic };
  const result = await sendBack(kafka, messages, options.onProgress);
  return { dryRun: false, chosen: chosen.length, repeats, messages, ...result };
}
