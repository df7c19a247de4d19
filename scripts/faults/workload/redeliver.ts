/**
 * The duplicates fault, both ways a write can arrive twice:
 * - from the client: accepted writes POSTed again with the same (source, seq), in shuffled order;
 * - from Kafka: the newest records of every topic a service reads, produced again byte for byte (key, value,
 *   headers, timestamp) to the same partition in reverse order, as a redelivery after a rebalance would look,
 *   only worse (out of order). They land at new offsets, so no offset fence stops them: only the services'
 *   own (source, seq) and newest-wins rules can.
 */
import type { Repeatable } from './context.js';
import { mapConcurrently, RefusedWriteError, type Gateway } from './gateway.js';
import type { Random } from './random.js';
import { consumedTopics, faultsKafka, type Admin } from './settle.js';
import { zeros, type LoadStats, type PerProduct, type Product } from './stats.js';

export interface RepostOutcome {
  reposted: number;
  /** Repeats whose answer differed from the first answer (a wallet outcome, a join's ticket). */
  disagreements: { product: Product; problem: string }[];
}

export async function repostShuffled(
  gateway: Gateway,
  writes: Repeatable[],
  random: Random,
  stats: LoadStats,
): Promise<RepostOutcome> {
  const disagreements: RepostOutcome['disagreements'] = [];
  let reposted = 0;
  await mapConcurrently(random.shuffle([...writes]), 16, async (write) => {
    try {
      const { answer } = await gateway.sendUntilAccepted(write.request);
      reposted++;
      stats.injected.reposted[write.product]++;
      const problem = write.checkRepeat?.(answer);
      if (problem) disagreements.push({ product: write.product, problem });
    } catch (error) {
      stats.refuse(write.product, error instanceof RefusedWriteError ? `repeat: ${error.message}` : String(error));
    }
  });
  return { reposted, disagreements };
}

interface Range {
  topic: string;
  partition: number;
  /** First offset read back, inclusive. */
  from: number;
  /** End offset when the range was chosen, exclusive. */
  to: number;
}

// kafkajs's own types, as @tally/streaming hands out the client (the scripts do not depend on kafkajs)
type Kafka = ReturnType<typeof faultsKafka>;
type EachBatch = NonNullable<NonNullable<Parameters<ReturnType<Kafka['consumer']>['run']>[0]>['eachBatch']>;
type Consumed = Parameters<EachBatch>[0]['batch']['messages'][number];

/** The topics the groups read (the services' inputs), each with the product of the first group reading it. */
export async function inputTopics(admin: Admin, groups: ReadonlyMap<string, Product>): Promise<Map<string, Product>> {
  const topics = new Map<string, Product>();
  for (const [group, product] of groups)
    for (const topic of await consumedTopics(admin, group)) if (!topics.has(topic)) topics.set(topic, product);
  return topics;
}

async function newestRanges(admin: Admin, topics: string[], perPartition: number): Promise<Range[]> {
  const ranges: Range[] = [];
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) {
      const to = Number(p.high);
      const from = Math.max(Number(p.low), to - perPartition);
      if (to > from) ranges.push({ topic, partition: p.partition, from, to });
    }
  }
  return ranges;
}

/** Reads each range with a throwaway consumer group (deleted afterwards). */
async function readRanges(
  kafka: Kafka,
  admin: Admin,
  ranges: Range[],
  timeoutMs: number,
): Promise<Map<Range, Consumed[]>> {
  const read = new Map<Range, Consumed[]>(ranges.map((r) => [r, []]));
  const byPartition = new Map(ranges.map((r) => [`${r.topic}/${r.partition}`, r]));
  const open = new Set(ranges);
  const groupId = `tally-faults-redeliver-${Date.now().toString(36)}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let finished!: () => void;
  const allRead = new Promise<void>((resolve) => (finished = resolve));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = byPartition.get(`${batch.topic}/${batch.partition}`);
        if (!range) return;
        for (const m of batch.messages) {
          const offset = Number(m.offset);
          if (offset >= range.from && offset < range.to) read.get(range)!.push(m);
        }
        // compaction leaves gaps: the range is done once the fetch has passed its last offset
        if (Number(batch.lastOffset()) >= range.to - 1 && open.delete(range) && open.size === 0) finished();
      },
    });
    for (const r of ranges) consumer.seek({ topic: r.topic, partition: r.partition, offset: String(r.from) });
    await Promise.race([allRead, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
  } finally {
    await consumer.disconnect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return read;
}

/**
 * Produces the newest `perPartition` records of every topic the groups read again, each partition's in
 * reverse order; returns how many, per product.
 */
export async function redeliverReversed(
  brokers: string[],
  groups: ReadonlyMap<string, Product>,
  perPartition: number,
): Promise<PerProduct> {
  const kafka = faultsKafka(brokers, 'tally-faults-redeliver');
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const topics = await inputTopics(admin, groups);
    const ranges = await newestRanges(admin, [...topics.keys()], perPartition);
    const read = await readRanges(kafka, admin, ranges, 60_000);
    const produced = zeros();
    for (const [range, records] of read) {
      const reversed = records.reverse().map((m) => ({
        partition: range.partition,
        key: m.key,
        value: m.value,
        headers: m.headers,
        timestamp: m.timestamp,
      }));
      for (let i = 0; i < reversed.length; i += 500) {
        await producer.send({ topic: range.topic, acks: -1, messages: reversed.slice(i, i + 500) });
      }
      produced[topics.get(range.topic)!] += reversed.length;
    }
    return produced;
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}
