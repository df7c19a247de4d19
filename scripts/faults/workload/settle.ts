/**
 * "Everything sent has been processed": every consumer group of the environment has committed up to the end of
 * every topic it reads, twice in a row with nothing new arriving in between. Twice, because services feed each
 * other (a region's snapshot feeds the merger, whose result feeds the regions): one pass can see the merger
 * caught up just before a region published the snapshot it then has to read.
 */
import { createLogger } from '@tally/observability';
import { consumerLag, createKafka, type PartitionLag } from '@tally/streaming';

// kafkajs is a dependency of the packages, not of the scripts: its types as @tally/streaming hands them out
export type Kafka = ReturnType<typeof createKafka>;
export type Admin = ReturnType<Kafka['admin']>;

export const faultsKafka = (brokers: string[], clientId: string): Kafka =>
  createKafka({ brokers, clientId, logger: createLogger('faults-workload', 'error') });

export async function withAdmin<T>(brokers: string[], work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = faultsKafka(brokers, 'tally-faults-check').admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

/** The topics a group reads, as its commits show them. */
export async function consumedTopics(admin: Admin, group: string): Promise<string[]> {
  return (await admin.fetchOffsets({ groupId: group })).map((t) => t.topic).sort();
}

export interface Quiet {
  settled: boolean;
  waitedMs: number;
  /** Per group: partitions still behind when the wait ended, or why the group could not be judged. */
  behind: Map<string, string[]>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every group has lag 0 on every topic it reads and the ends of those topics stood still between
 * two passes (topics in `stillGrowing`, written to on purpose during the wait, only need lag 0).
 */
export async function waitUntilQuiet(
  admin: Admin,
  groups: readonly string[],
  deadlineMs: number,
  stillGrowing: ReadonlySet<string> = new Set(),
): Promise<Quiet> {
  const started = Date.now();
  let previousEnds: string | undefined;
  let behind = new Map<string, string[]>();
  for (;;) {
    behind = new Map();
    const ends: string[] = [];
    for (const group of groups) {
      const topics = await consumedTopics(admin, group).catch(() => []);
      if (topics.length === 0) {
        behind.set(group, ['has committed no offsets yet']);
        continue;
      }
      const lags: PartitionLag[] = await consumerLag(admin, group, topics).catch((error: unknown) => {
        behind.set(group, [`lag unreadable: ${error instanceof Error ? error.message : String(error)}`]);
        return [];
      });
      const late = lags.filter((p) => p.lag > 0).map((p) => `${p.topic}[${p.partition}] lag ${p.lag}`);
      if (late.length > 0) behind.set(group, late);
      for (const p of lags) if (!stillGrowing.has(p.topic)) ends.push(`${p.topic}/${p.partition}=${p.end}`);
    }
    const signature = ends.sort().join(',');
    if (behind.size === 0 && signature === previousEnds)
      return { settled: true, waitedMs: Date.now() - started, behind };
    previousEnds = behind.size === 0 ? signature : undefined;
    if (Date.now() > deadlineMs) return { settled: false, waitedMs: Date.now() - started, behind };
    await sleep(300);
  }
}
