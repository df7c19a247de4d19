import type { Admin } from 'kafkajs';

export interface PartitionLag {
  group: string;
  topic: string;
  partition: number;
  /** -1 when the group has committed nothing on this partition yet. */
  committed: number;
  end: number;
  lag: number;
}

/**
 * Lag as Kafka's own kafka-consumer-groups tool reports it: end offset minus committed offset; a partition
 * without a commit counts from its first retained offset, since that is where the group would start.
 */
export async function consumerLag(admin: Admin, group: string, topics: string[]): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets({ groupId: group, topics });
  const result: PartitionLag[] = [];
  for (const { topic, partitions } of committed) {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      const done = Number(partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
      const high = Number(end.high);
      const from = done >= 0 ? done : Number(end.low);
      result.push({
        group,
        topic,
        partition: end.partition,
        committed: done,
        end: high,
        lag: Math.max(0, high - from),
      });
    }
  }
  return result.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
