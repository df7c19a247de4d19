import { env, parseConfigWithSecrets, type ParsedConfig } from '@tally/config';
import { TOPICS } from '@tally/contracts';
import { consumingServiceShape } from '@tally/service-kit';
import { chooseSigningKeys, type ChosenSigningKeys } from './domain/signing-keys.js';

export const configShape = {
  ...consumingServiceShape({ name: 'queue-admitter', port: 8094, schema: 'queue_admitter' }),
  QUEUE_COMMANDS_TOPIC: env.string(TOPICS.queueCommands.name),
  QUEUE_EVENTS_TOPIC: env.string(TOPICS.queueEvents.name),
  REDIS_PREFIX: env.string('tally:queues'),
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
  /** The `iss` of admission tokens; verifiers check it. Changing it voids every token already handed out. */
  ADMISSION_TOKEN_ISSUER: env.string('tally'),
};

export type QueueAdmitterConfig = ParsedConfig<typeof configShape> & { signingKeys: ChosenSigningKeys };

/**
 * Everything the admitter reads from the environment, every problem reported at once. ADMISSION_SIGNING_KEYS
 * (a JSON array of private JWKs: the first signs admission tokens, all verify) is read apart from parseConfig,
 * which quotes bad values, because this value is a secret. Unset outside production: the development key.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): QueueAdmitterConfig {
  // a deployment that still sets the old secret would otherwise start with other keys than it thinks
  const retired =
    source.ADMISSION_TOKEN_SECRET !== undefined && source.ADMISSION_TOKEN_SECRET !== ''
      ? [
          'ADMISSION_TOKEN_SECRET: was replaced by ADMISSION_SIGNING_KEYS (ES256 keys: `pnpm tally admission-key` makes one); remove ADMISSION_TOKEN_SECRET and set ADMISSION_SIGNING_KEYS',
        ]
      : [];
  return parseConfigWithSecrets<typeof configShape, { signingKeys: ChosenSigningKeys }>(
    configShape,
    source,
    { signingKeys: ['ADMISSION_SIGNING_KEYS', chooseSigningKeys] },
    retired,
  );
}
