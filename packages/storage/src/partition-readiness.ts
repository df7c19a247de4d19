import type { Redis } from './redis.js';

/**
 * Which Kafka partitions have their whole read model in Redis. A service whose Redis state is rebuilt from
 * Postgres marks a partition once its owner has written all of it; after a FLUSHALL or a Redis restart the
 * marks are gone with everything else, so readers know to answer from Postgres until the owner rebuilt it.
 * Key: `<prefix>:{ready}:p<partition>`.
 */
export class PartitionReadiness {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key = (partition: number) => `${this.prefix}:{ready}:p${partition}`;

  async notReady(partitions: number[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    const marks = await this.redis.mget(partitions.map((p) => this.key(p)));
    return partitions.filter((_, i) => marks[i] === null);
  }

  async markReady(partition: number): Promise<void> {
    await this.redis.set(this.key(partition), String(Date.now()));
  }
}
