import { ConfigError, env, parseConfig, platformShape, type ParsedConfig } from '@tally/config';

const DEVELOPMENT_SECRET = 'tally-development-admission-secret';

export const configShape = {
  ...platformShape,
  KAFKA_CLIENT_ID: env.string('queue-admitter'),
  PORT: env.port(8094),
  HOST: env.string('0.0.0.0'),
  CONSUMER_GROUP: env.string('queue-admitter'),
  QUEUE_COMMANDS_TOPIC: env.string('tally.queue.commands'),
  QUEUE_EVENTS_TOPIC: env.string('tally.queue.events'),
  REDIS_PREFIX: env.string('tally:queues'),
  DB_SCHEMA: env.string('queue_admitter'),
  CONSUMER_CONCURRENCY: env.integer({ min: 1, max: 64, fallback: 4 }),
  /**
   * admitter: applies the log and proposes admission decisions for the partitions it owns, publishes events.
   * follower: applies the log only (builds the same state, proposes nothing, publishes nothing): a rebuild from
   * the topic beside the live deployment, with its own CONSUMER_GROUP, DB_SCHEMA and REDIS_PREFIX.
   */
  QUEUE_ROLE: env.oneOf(['admitter', 'follower'], 'admitter'),
  /** How often the owner of a partition proposes admissions into free slots and expiries of what ran out. */
  ADMISSION_TICK_MS: env.integer({ min: 20, max: 10_000, fallback: 200 }),
  /**
   * A partition gets no admission decision while more of its records than this wait to be applied: a catch-up
   * (a restart, a replay), not the few hundred a consumer under load is behind by. About half a second of the
   * admitter's drain rate; a stale decision would be safe anyway (the fold checks it), only wasted.
   */
  ADMISSION_MAX_LAG: env.integer({ min: 0, max: 10_000_000, fallback: 10_000 }),
  /** Signs admission tokens (HS256). Production refuses the development default. */
  ADMISSION_TOKEN_SECRET: env.string(DEVELOPMENT_SECRET),
  TALLY_ENV: env.oneOf(['development', 'test', 'production'], 'development'),
};

export type QueueAdmitterConfig = ParsedConfig<typeof configShape>;

export function loadConfig(source: NodeJS.ProcessEnv = process.env): QueueAdmitterConfig {
  const config = parseConfig(configShape, source);
  if (config.TALLY_ENV === 'production' && (config.ADMISSION_TOKEN_SECRET === DEVELOPMENT_SECRET || config.ADMISSION_TOKEN_SECRET.length < 32)) {
    throw new ConfigError(['ADMISSION_TOKEN_SECRET: set a secret of at least 32 characters in production (the development default would let anyone sign admissions)']);
  }
  return config;
}
