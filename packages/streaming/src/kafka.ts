import { given, readCaFile, readText, type ReadText } from '@tally/config';
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { Logger } from '@tally/observability';

/**
 * How to reach the brokers securely, under the names of the platform's variables (@tally/config, which checks
 * them together; docs/SECURITY.md): a service's parsed config fits, and so does the raw environment.
 */
export interface KafkaTransportSettings {
  /** PLAINTEXT (unset), SSL, SASL_PLAINTEXT or SASL_SSL, as Kafka's own security.protocol. */
  KAFKA_SECURITY_PROTOCOL?: string | undefined;
  /** plain, scram-sha-256 or scram-sha-512 (SASL_* only). */
  KAFKA_SASL_MECHANISM?: string | undefined;
  KAFKA_SASL_USERNAME?: string | undefined;
  KAFKA_SASL_PASSWORD?: string | undefined;
  /** A PEM file of the CA(s) that signed the brokers' certificates; unset: the system's CAs. */
  KAFKA_SSL_CA_FILE?: string | undefined;
}

export interface KafkaOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /**
   * TLS and SASL. Default: the process environment, so that every client, also one whose caller passes only
   * brokers, speaks the protocol the deployment configured (the service already refused contradictory values
   * when it parsed its config).
   */
  transport?: KafkaTransportSettings;
}

/** Reads a file's text; injectable so the mapping below is testable without files. */
const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
type Mechanism = (typeof MECHANISMS)[number];

/**
 * kafkajs's `ssl` and `sasl` for the settings: SSL and SASL_SSL turn TLS on (the brokers' certificate verified
 * against the CA file, else the system's CAs, and their host name checked); SASL_* authenticate with the
 * mechanism and credentials; PLAINTEXT neither. Errors never quote the password.
 */
export function kafkaSecurity(
  settings: KafkaTransportSettings,
  read: ReadText = readText,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const protocol = given(settings.KAFKA_SECURITY_PROTOCOL) ?? 'PLAINTEXT';
  if (!PROTOCOLS.includes(protocol))
    throw new Error(
      `KAFKA_SECURITY_PROTOCOL: must be one of ${PROTOCOLS.join(', ')} (got ${JSON.stringify(protocol)})`,
    );
  const tls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const caFile = given(settings.KAFKA_SSL_CA_FILE);
  if (caFile !== undefined && !tls)
    throw new Error(`KAFKA_SSL_CA_FILE: is set, but KAFKA_SECURITY_PROTOCOL is ${protocol}, which does not use TLS`);
  const result: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  // rejectUnauthorized is Node's default; stated so that no spread of options can turn it off unseen
  if (tls)
    result.ssl =
      caFile === undefined
        ? { rejectUnauthorized: true }
        : { rejectUnauthorized: true, ca: [readCaFile('KAFKA_SSL_CA_FILE', caFile, read)] };
  if (protocol.startsWith('SASL_')) result.sasl = saslOf(protocol, settings);
  return result;
}

function saslOf(protocol: string, settings: KafkaTransportSettings): SASLOptions {
  const mechanism = given(settings.KAFKA_SASL_MECHANISM);
  const username = given(settings.KAFKA_SASL_USERNAME);
  const password = given(settings.KAFKA_SASL_PASSWORD);
  const missing = [
    mechanism === undefined && 'KAFKA_SASL_MECHANISM',
    username === undefined && 'KAFKA_SASL_USERNAME',
    password === undefined && 'KAFKA_SASL_PASSWORD',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new Error(`${missing.join(', ')}: required when KAFKA_SECURITY_PROTOCOL is ${protocol}`);
  if (!MECHANISMS.includes(mechanism as Mechanism))
    throw new Error(`KAFKA_SASL_MECHANISM: must be one of ${MECHANISMS.join(', ')} (got ${JSON.stringify(mechanism)})`);
  const credentials = { username: username!, password: password! };
  switch (mechanism as Mechanism) {
    case 'plain':
      return { mechanism: 'plain', ...credentials };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', ...credentials };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', ...credentials };
  }
}

/** A kafkajs client whose logs go through the service's pino logger as JSON, not to stdout as text. */
export function createKafka({ brokers, clientId, logger, transport = process.env }: KafkaOptions): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    brokers,
    clientId,
    ...kafkaSecurity(transport),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error(rest, message);
        else if (level === logLevel.WARN) log.warn(rest, message);
        else log.debug(rest, message);
      },
  });
}
