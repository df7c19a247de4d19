/**
 * Which local stack the commands work on. `single` (the default): one Kafka broker and the machine's Redis.
 * `cluster` (TALLY_STACK_PROFILE=cluster, or `tally stack ... --cluster`): three KRaft brokers with replication
 * factor 3 and min.insync.replicas 2, and a Redis Cluster of six redis-server processes (three primaries, three
 * replicas), under .stack/cluster on ports of their own, so both stacks can run side by side. Postgres is the
 * machine's in both (docs/SCALING.md says why it stays one server per deployment).
 */
export type StackProfile = 'single' | 'cluster';

export function stackProfile(env: NodeJS.ProcessEnv = process.env): StackProfile {
  const chosen = env.TALLY_STACK_PROFILE ?? 'single';
  if (chosen !== 'single' && chosen !== 'cluster')
    throw new Error(`TALLY_STACK_PROFILE must be single or cluster, not ${JSON.stringify(chosen)}`);
  return chosen;
}

/**
 * The cluster profile's ports: far from the single stack's (9092, 8081, 6379) and the fault run's (20000+).
 * Redis Cluster nodes also listen on their port + 10000 (the cluster bus): 27001..27006.
 */
export const CLUSTER_PORTS = {
  kafka: 19092,
  kafkaController: 19192,
  registry: 18081,
  redis: 17001,
} as const;
