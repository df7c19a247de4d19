import { env, platformShape } from '@tally/config';
import { TOPICS } from '@tally/contracts';

/** The defaults that differ between consuming services. */
export interface ConsumingServiceDefaults {
  /** The service's name: its Kafka client id and consumer group unless configured otherwise. */
  name: string;
  port: number;
  /** The Postgres schema it owns. */
  schema: string;
  /** Partitions consumed at once (default 4). */
  concurrency?: number;
}

/**
 * The variables every consuming service reads: the platform's (where Kafka, the registry, Redis and Postgres are),
 * the side topics named as the catalogue names them, and its own name, port, group, schema and concurrency. A
 * service spreads it into its shape and adds its own variables (or replaces one, with its own default).
 */
export function consumingServiceShape({ name, port, schema, concurrency = 4 }: ConsumingServiceDefaults) {
  return {
    ...platformShape,
    DLQ_TOPIC: env.string(TOPICS.deadLetters.name),
    /** Where records too late for a windowed result (or for the idempotency record) are set aside. */
    LATE_TOPIC: env.string(TOPICS.late.name),
    KAFKA_CLIENT_ID: env.string(name),
    PORT: env.port(port),
    HOST: env.string('0.0.0.0'),
    CONSUMER_GROUP: env.string(name),
    DB_SCHEMA: env.sqlIdentifier(schema),
    CONSUMER_CONCURRENCY: env.integer({ min: 1, max: 64, fallback: concurrency }),
  };
}

/** What startConsumingService reads of a service's configuration: consumingServiceShape's variables, parsed. */
export interface ConsumingServiceConfig {
  LOG_LEVEL: string;
  KAFKA_BROKERS: string[];
  KAFKA_CLIENT_ID: string;
  KAFKA_SESSION_TIMEOUT_MS: number;
  SCHEMA_REGISTRY_URL: string;
  REDIS_URL: string;
  REDIS_CLUSTER: boolean;
  REDIS_TLS_CA_FILE?: string | undefined;
  DATABASE_URL: string;
  DB_SCHEMA: string;
  DLQ_TOPIC: string;
  LATE_TOPIC: string;
  CONSUMER_GROUP: string;
  CONSUMER_CONCURRENCY: number;
  PORT: number;
  HOST: string;
}
