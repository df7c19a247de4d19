import { env, parseConfig, seqWindowShape, type ParsedConfig } from '@tally/config';
import { TOPICS, parseStreamShards } from '@tally/contracts';
import { consumingServiceShape } from '@tally/service-kit';

export const configShape = {
  ...consumingServiceShape({ name: 'viewer-aggregator', port: 8091, schema: 'viewer_aggregator' }),
  ...seqWindowShape,
  VIEWER_WINDOW_SECONDS: env.integer({ min: 1, max: 3600, fallback: 30 }),
  /**
   * How far a player's clock may be behind and its heartbeat still make the session present (a heartbeat's
   * `at` further before its receipt is a retry of the past). Players' clocks minutes off are common.
   */
  VIEWER_CLOCK_TOLERANCE_SECONDS: env.integer({ min: 0, max: 86_400, fallback: 600 }),
  /** Allowed lateness of history minutes: a heartbeat received later than this after its minute ended is set aside. */
  HISTORY_GRACE_SECONDS: env.integer({ min: 0, max: 7 * 86_400, fallback: 600 }),
  HEARTBEATS_TOPIC: env.string(TOPICS.viewerHeartbeats.name),
  COUNTS_TOPIC: env.string(TOPICS.viewerCounts.name),
  REDIS_PREFIX: env.string('tally:viewers'),
  /**
   * Hot streams spread over shards: `<streamId>=<shards>[@<from>]`, comma separated (@tally/contracts'
   * viewer-shards.ts, domain/shards.ts). Each shard is a Redis sub-key of its own (its own cluster slot) and, at
   * the gateway, a record key of its own (its own partition). The same value as the gateway's. Changing a stream's
   * count: add an entry with `@<time>` at least a few seconds ahead; the new layout is read from that time plus
   * the window and the clock tolerance on, exact throughout.
   */
  VIEWER_STREAM_SHARDS: env.parsed(parseStreamShards, ''),
  /** How often counts are re-read so that viewers leaving the window are published without new heartbeats. */
  EXPIRY_TICK_MS: env.integer({ min: 100, max: 60_000, fallback: 1000 }),
};

export type ViewerAggregatorConfig = ParsedConfig<typeof configShape>;

export const loadConfig = (source: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, source);
