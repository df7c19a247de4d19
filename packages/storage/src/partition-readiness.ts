import { onPrimaryChange, type Redis } from './redis.js';

/**
 * Which Kafka partitions have their whole read model in Redis. A service whose Redis state is rebuilt from
 * Postgres marks a partition once its owner has written all of it; after a FLUSHALL or a Redis restart the
 * marks are gone with everything else, so readers know to answer from Postgres until the owner rebuilt it.
 * On a Redis Cluster, a failover may lose the last writes of the failed primary, marks or not: every instance
 * that sees one forgets the marks of the partitions it asked about, so readers answer from Postgres and owners
 * rebuild as after a FLUSHALL.
 * Key: `<prefix>:{ready}:p<partition>` (one slot for all of them).
 */
export class PartitionReadiness {
  private readonly asked = new Set<number>();
  private failedOver = false;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    onPrimaryChange(redis, () => (this.failedOver = true));
  }

  private key = (partition: number) => `${this.prefix}:{ready}:p${partition}`;

  async notReady(partitions: number[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    for (const p of partitions) this.asked.add(p);
    if (this.failedOver) {
      this.failedOver = false;
      await this.redis.del(...[...this.asked].map(this.key));
    }
    const marks = await this.redis.mget(partitions.map((p) => this.key(p)));
    return partitions.filter((_, i) => marks[i] === null);
  }

  async markReady(partition: number): Promise<void> {
    await this.redis.set(this.key(partition), String(Date.now()));
  }
}
