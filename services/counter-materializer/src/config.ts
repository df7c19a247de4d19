import { env, parseConfig, seqWindowShape, type ParsedConfig } from '@tally/config';
import { TOPICS } from '@tally/contracts';
import { consumingServiceShape } from '@tally/service-kit';

export const configShape = {
  ...consumingServiceShape({ name: 'counter-materializer', port: 8092, schema: 'counter_materializer' }),
  ...seqWindowShape,
  ITEM_EVENTS_TOPIC: env.string(TOPICS.itemEvents.name),
  REDIS_PREFIX: env.string('tally:counters'),
  /** Partitions consumed at once; their batches wait for the same group commit, so more make larger flushes. */
  CONSUMER_CONCURRENCY: env.integer({ min: 1, max: 64, fallback: 12 }),
  /**
   * How long, when no write is running, a consumed batch waits for the other partitions' batches of the same
   * fetch before it is written (busy, batches wait for the running write instead: see flusher.ts).
   */
  FLUSH_LINGER_MS: env.integer({ min: 0, max: 1000, fallback: 5 }),
  /** Group commits side by side, each for its share of the partitions (flusher.ts, FlushLanes). */
  FLUSH_LANES: env.integer({ min: 1, max: 16, fallback: 2 }),
  /** Events waiting that trigger a write before the interval is up. */
  FLUSH_MAX_EVENTS: env.integer({ min: 1, max: 100_000, fallback: 20_000 }),
  /** Allowed lateness of the 1h ranking: an event received this long after its minute left the window is set aside for it. */
  RANKING_1H_GRACE_SECONDS: env.integer({ min: 0, max: 86_400, fallback: 300 }),
  /** Allowed lateness of the 24h ranking; an event late even for it leaves no per-minute row (it still counts in totals). */
  RANKING_24H_GRACE_SECONDS: env.integer({ min: 0, max: 7 * 86_400, fallback: 3600 }),
  /** How often windows slide in Redis and lost partitions are rebuilt. */
  MAINTENANCE_TICK_MS: env.integer({ min: 50, max: 60_000, fallback: 5000 }),
};

export type CounterMaterializerConfig = ParsedConfig<typeof configShape>;

export const loadConfig = (source: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, source);
