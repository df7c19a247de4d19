import type { Kafka } from 'kafkajs';

/** The partition ids of `topic`, ascending (for routes that must know every partition, e.g. readiness marks). */
export async function topicPartitions(kafka: Kafka, topic: string): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
  } finally {
    await admin.disconnect();
  }
}
