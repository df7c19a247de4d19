import { env } from './fields.js';
import { parseConfig, type ParsedConfig } from './parse.js';
import { transportShape } from './transport.js';

/**
 * What every Tally service reads: where Kafka, the schema registry, Redis and Postgres are, how it reaches them
 * (TLS, SASL) and how it presents itself. Defaults point at the local stack, in plaintext, so `pnpm tally up`
 * needs no configuration; TALLY_ENV=production refuses plaintext.
 */
export const platformShape = {
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092'),
  KAFKA_CLIENT_ID: env.string('tally'),
  SCHEMA_REGISTRY_URL: env.url(['http', 'https'], 'http://127.0.0.1:8081/apis/ccompat/v7'),
  /**
   * REDIS_URL, DATABASE_URL, TALLY_ENV, TALLY_REQUIRE_TLS and the TLS settings of Kafka, Redis and Postgres,
   * with the rules that check them together (transport.ts; docs/SECURITY.md).
   */
  ...transportShape,
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  /**
   * How long the group waits for a silent member before its partitions move (a crashed instance's work resumes
   * after this). Heartbeats go every 3 s, so below 10 s a busy event loop risks needless rebalances.
   */
  KAFKA_SESSION_TIMEOUT_MS: env.integer({ min: 6000, max: 300_000, fallback: 30_000 }),
};

/** What services that tell writes apart by (source, seq) windows read (viewer history, counters). */
export const seqWindowShape = {
  /**
   * How long blocks of applied seqs that left a source's window are kept (default 8 days: the 7 days the
   * topics keep, plus one). A write older than that, by the time its block was last written, is reported as
   * forgotten (late topic) instead of being applied or dropped.
   */
  SEQ_ARCHIVE_RETENTION_HOURS: env.integer({ min: 1, max: 24 * 400, fallback: 192 }),
};

export type PlatformConfig = ParsedConfig<typeof platformShape>;

export function platformConfig(source: NodeJS.ProcessEnv = process.env): PlatformConfig {
  return parseConfig(platformShape, source);
}
