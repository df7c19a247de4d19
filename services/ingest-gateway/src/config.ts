import { ConfigError, env, parseConfig, platformShape, type ParsedConfig } from '@tally/config';
import { ApiKeysError, chooseApiKeys, type ChosenKeys } from './domain/api-keys.js';

export const gatewayShape = {
  ...platformShape,
  KAFKA_CLIENT_ID: env.string('ingest-gateway'),
  PORT: env.port(8080),
  HOST: env.string('0.0.0.0'),
  /** `production` refuses the development key; anything else may fall back to it. Typos fail instead of loosening. */
  TALLY_ENV: env.oneOf(['development', 'test', 'production'], 'development'),
  VIEWER_AGGREGATOR_URL: env.url(['http', 'https'], 'http://127.0.0.1:8091'),
  COUNTER_MATERIALIZER_URL: env.url(['http', 'https'], 'http://127.0.0.1:8092'),
  WALLET_LEDGER_URL: env.url(['http', 'https'], 'http://127.0.0.1:8093'),
  QUEUE_ADMITTER_URL: env.url(['http', 'https'], 'http://127.0.0.1:8094'),
  /** Requests per second per API key (reads without a key: per client address). */
  RATE_LIMIT_PER_SECOND: env.integer({ min: 1, fallback: 5000 }),
  /** A write Kafka has not acknowledged by then is answered 503, so clients retry instead of hanging. */
  KAFKA_ACK_TIMEOUT_MS: env.integer({ min: 50, max: 120_000, fallback: 5000 }),
  /** How long a routed read may wait for the owning service. */
  READ_TIMEOUT_MS: env.integer({ min: 50, max: 60_000, fallback: 3000 }),
  HEARTBEATS_TOPIC: env.string('tally.viewers.heartbeats'),
  ITEM_EVENTS_TOPIC: env.string('tally.counters.events'),
  WALLET_COMMANDS_TOPIC: env.string('tally.wallet.commands'),
  WALLET_OUTCOMES_TOPIC: env.string('tally.wallet.outcomes'),
  QUEUE_COMMANDS_TOPIC: env.string('tally.queue.commands'),
  /** How long `?wait=true` waits for the ledger's outcome after Kafka acknowledged the command; then "pending". */
  WALLET_WAIT_MS: env.integer({ min: 50, max: 30_000, fallback: 5000 }),
};

export type GatewayConfig = ParsedConfig<typeof gatewayShape> & { apiKeys: ChosenKeys };

/**
 * Everything the gateway reads from the environment, every problem reported at once. API_KEYS is read apart
 * from parseConfig because that one quotes bad values, and this value is a secret.
 */
export function gatewayConfig(source: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const problems: string[] = [];
  let parsed: ParsedConfig<typeof gatewayShape> | undefined;
  try {
    parsed = parseConfig(gatewayShape, source);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  let apiKeys: ChosenKeys | undefined;
  const environment = gatewayShape.TALLY_ENV.safeParse(source.TALLY_ENV || undefined);
  if (environment.success) {
    try {
      apiKeys = chooseApiKeys(source.API_KEYS, environment.data);
    } catch (error) {
      if (!(error instanceof ApiKeysError)) throw error;
      problems.push(`API_KEYS: ${error.message}`);
    }
  }
  if (problems.length > 0 || !parsed || !apiKeys) throw new ConfigError(problems);
  return { ...parsed, apiKeys };
}
