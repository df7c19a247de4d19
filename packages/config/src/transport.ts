import { env } from './fields.js';
import { quoted, withRules, type ConfigRule } from './parse.js';

/**
 * Transport security: how services reach Kafka, Postgres, Redis and the schema registry, and the production
 * profile that refuses plaintext. The clients apply these variables in @tally/streaming (createKafka) and
 * @tally/storage (createRedis, createPool, migrate); what each value does is in docs/SECURITY.md.
 */

export const TALLY_ENVIRONMENTS = ['development', 'test', 'production'] as const;
export const KAFKA_SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export const KAFKA_SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
/**
 * The sslmodes Tally takes, with libpq's meaning. `prefer` and `allow` are refused: they fall back to plaintext
 * when the server offers no TLS, which is what an attacker in the middle would offer.
 */
export const POSTGRES_SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type PostgresSslMode = (typeof POSTGRES_SSL_MODES)[number];

/** Query parameters of a DATABASE_URL that pg would read as TLS settings of its own, overriding sslmode's. */
export const POSTGRES_FOREIGN_TLS_PARAMETERS = [
  'ssl',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslpassword',
  'sslnegotiation',
  'uselibpqcompat',
];

const isSet = (raw: string | undefined) => raw !== undefined && raw !== '';
const securedKafka = (protocol: unknown) => protocol === 'SSL' || protocol === 'SASL_SSL';
const protocolOf = (url: unknown) => {
  try {
    return new URL(String(url)).protocol.replace(/:$/, '');
  } catch {
    return undefined;
  }
};

/** The sslmode a DATABASE_URL's query names, if any (the first, as pg reads it). */
export function sslModeOfUrl(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('sslmode') ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * A DATABASE_URL whose TLS settings Tally can apply: an sslmode of POSTGRES_SSL_MODES, and none of the
 * parameters pg would otherwise read itself (files named in the URL, its own `ssl=`), so that one place decides.
 */
const databaseUrl = (fallback: string) =>
  env.url(['postgres', 'postgresql'], fallback).superRefine((url, context) => {
    let query: URLSearchParams;
    try {
      query = new URL(url).searchParams;
    } catch {
      return;
    }
    const mode = query.get('sslmode');
    if (mode !== null && !(POSTGRES_SSL_MODES as readonly string[]).includes(mode)) {
      context.addIssue({
        code: 'custom',
        message: `sslmode must be one of ${POSTGRES_SSL_MODES.join(', ')} (prefer and allow would fall back to plaintext)`,
      });
    }
    const foreign = POSTGRES_FOREIGN_TLS_PARAMETERS.filter((name) => query.has(name));
    if (foreign.length > 0) {
      context.addIssue({
        code: 'custom',
        message: `TLS is set by sslmode and DATABASE_SSL_CA_FILE only (client certificates are not supported): remove ${foreign.join(', ')}`,
      });
    }
  });

/** Why TLS is required, for the problem lines of the rules below; undefined when it is not. */
function requiredBy(values: Readonly<Record<string, unknown>>, source: NodeJS.ProcessEnv): string | undefined {
  if (values.TALLY_REQUIRE_TLS !== true) return undefined;
  return isSet(source.TALLY_REQUIRE_TLS)
    ? 'when TLS is required (TALLY_REQUIRE_TLS=true)'
    : 'when TLS is required (TALLY_ENV=production requires it unless TALLY_REQUIRE_TLS=false)';
}

/** TALLY_REQUIRE_TLS left unset follows TALLY_ENV: on in production, off elsewhere. */
const settleRequireTls: ConfigRule = {
  reads: ['TALLY_ENV', 'TALLY_REQUIRE_TLS'],
  apply: (values, source) =>
    isSet(source.TALLY_REQUIRE_TLS) ? {} : { settled: { TALLY_REQUIRE_TLS: values.TALLY_ENV === 'production' } },
};

const kafkaRequiresTls: ConfigRule = {
  reads: ['TALLY_ENV', 'TALLY_REQUIRE_TLS', 'KAFKA_SECURITY_PROTOCOL'],
  apply: (values, source) => {
    const why = requiredBy(values, source);
    if (!why || securedKafka(values.KAFKA_SECURITY_PROTOCOL)) return {};
    const got = isSet(source.KAFKA_SECURITY_PROTOCOL)
      ? quoted(source.KAFKA_SECURITY_PROTOCOL)
      : 'nothing, so PLAINTEXT';
    return { problems: [`KAFKA_SECURITY_PROTOCOL: must be SSL or SASL_SSL ${why} (got ${got})`] };
  },
};

const registryRequiresTls: ConfigRule = {
  reads: ['TALLY_ENV', 'TALLY_REQUIRE_TLS', 'SCHEMA_REGISTRY_URL'],
  apply: (values, source) => {
    const why = requiredBy(values, source);
    if (!why || protocolOf(values.SCHEMA_REGISTRY_URL) === 'https') return {};
    const got = isSet(source.SCHEMA_REGISTRY_URL)
      ? quoted(source.SCHEMA_REGISTRY_URL)
      : `nothing, so ${quoted(String(values.SCHEMA_REGISTRY_URL))}`;
    return { problems: [`SCHEMA_REGISTRY_URL: must be an https URL ${why} (got ${got})`] };
  },
};

/**
 * REDIS_URL and DATABASE_URL are checked only when set: a service without Redis or Postgres (the gateway, the
 * setup job) leaves them at their local default, which it never connects to.
 */
const redisRequiresTls: ConfigRule = {
  reads: ['TALLY_ENV', 'TALLY_REQUIRE_TLS', 'REDIS_URL'],
  apply: (values, source) => {
    const why = requiredBy(values, source);
    if (!why || !isSet(source.REDIS_URL) || protocolOf(values.REDIS_URL) === 'rediss') return {};
    return { problems: [`REDIS_URL: must be a rediss:// URL ${why} (got ${quoted(source.REDIS_URL)})`] };
  },
};

const postgresRequiresTls: ConfigRule = {
  reads: ['TALLY_ENV', 'TALLY_REQUIRE_TLS', 'DATABASE_URL', 'DATABASE_SSLMODE'],
  apply: (values, source) => {
    const why = requiredBy(values, source);
    if (!why || !isSet(source.DATABASE_URL)) return {};
    const mode = sslModeOfUrl(String(values.DATABASE_URL)) ?? (values.DATABASE_SSLMODE as string | undefined);
    if (mode !== undefined && mode !== 'disable') return {};
    const got = mode === undefined ? 'no sslmode in it, and no DATABASE_SSLMODE' : 'sslmode disable';
    return {
      problems: [
        `DATABASE_URL: needs sslmode=require, verify-ca or verify-full (in the URL, or DATABASE_SSLMODE) ${why} (got ${got})`,
      ],
    };
  },
};

/**
 * SASL needs its mechanism and credentials; credentials or a CA the protocol would not use are mistakes (a
 * protocol set to SSL where SASL_SSL was meant). One rule per variable, so that each is judged, and reported,
 * even when another of them is malformed.
 */
const kafkaSaslVariable = (
  name: 'KAFKA_SASL_MECHANISM' | 'KAFKA_SASL_USERNAME' | 'KAFKA_SASL_PASSWORD',
): ConfigRule => ({
  reads: ['KAFKA_SECURITY_PROTOCOL', name],
  apply: (values) => {
    const protocol = String(values.KAFKA_SECURITY_PROTOCOL);
    const given = values[name] !== undefined;
    if (protocol.startsWith('SASL_') && !given) {
      const hint = name === 'KAFKA_SASL_MECHANISM' ? ` (one of ${KAFKA_SASL_MECHANISMS.join(', ')})` : '';
      return { problems: [`${name}: is required when KAFKA_SECURITY_PROTOCOL is ${protocol}${hint}`] };
    }
    if (!protocol.startsWith('SASL_') && given) {
      return {
        problems: [
          `${name}: is set, but KAFKA_SECURITY_PROTOCOL is ${protocol}, which sends no credentials (SASL_SSL does)`,
        ],
      };
    }
    return {};
  },
});

const kafkaCaFileNeedsTls: ConfigRule = {
  reads: ['KAFKA_SECURITY_PROTOCOL', 'KAFKA_SSL_CA_FILE'],
  apply: (values) =>
    values.KAFKA_SSL_CA_FILE !== undefined && !securedKafka(values.KAFKA_SECURITY_PROTOCOL)
      ? {
          problems: [
            `KAFKA_SSL_CA_FILE: is set, but KAFKA_SECURITY_PROTOCOL is ${String(values.KAFKA_SECURITY_PROTOCOL)}, which does not use TLS (SSL or SASL_SSL do)`,
          ],
        }
      : {},
};

const redisSettingsAgree: ConfigRule = {
  reads: ['REDIS_URL', 'REDIS_TLS_CA_FILE'],
  apply: (values) =>
    values.REDIS_TLS_CA_FILE !== undefined && protocolOf(values.REDIS_URL) !== 'rediss'
      ? {
          problems: [
            'REDIS_TLS_CA_FILE: is set, but REDIS_URL is a redis:// URL, which does not use TLS (rediss:// does)',
          ],
        }
      : {},
};

const postgresSettingsAgree: ConfigRule = {
  reads: ['DATABASE_URL', 'DATABASE_SSLMODE', 'DATABASE_SSL_CA_FILE'],
  apply: (values) => {
    const inUrl = sslModeOfUrl(String(values.DATABASE_URL));
    const variable = values.DATABASE_SSLMODE as string | undefined;
    const problems: string[] = [];
    if (inUrl !== undefined && variable !== undefined && inUrl !== variable) {
      problems.push(`DATABASE_SSLMODE: is ${variable}, but DATABASE_URL says sslmode=${inUrl}: set one of them`);
      return { problems };
    }
    const mode = inUrl ?? variable ?? 'disable';
    if (mode === 'disable' && values.DATABASE_SSL_CA_FILE !== undefined) {
      problems.push(
        'DATABASE_SSL_CA_FILE: is set, but sslmode is disable (or not set), which does not use TLS (require, verify-ca or verify-full do)',
      );
    }
    if (mode === 'verify-ca' && values.DATABASE_SSL_CA_FILE === undefined) {
      // as libpq: against public CAs, verify-ca accepts any server somebody got a certificate for
      problems.push(
        'DATABASE_SSL_CA_FILE: is required with sslmode=verify-ca (the CA that signed the server; with a public CA use verify-full)',
      );
    }
    return { problems };
  },
};

/**
 * The platform variables of transport security. platformShape spreads these; the rules ride on the readers of
 * TALLY_REQUIRE_TLS, KAFKA_SECURITY_PROTOCOL, REDIS_TLS_CA_FILE and DATABASE_SSLMODE.
 */
export const transportShape = {
  /** `production` refuses plaintext transports (below) and, in the services that have them, development secrets. */
  TALLY_ENV: env.oneOf(TALLY_ENVIRONMENTS, 'development'),
  /** Refuse any plaintext connection to Kafka, the registry, Redis or Postgres. Unset: true in production only. */
  TALLY_REQUIRE_TLS: withRules(
    env.boolean(false),
    settleRequireTls,
    kafkaRequiresTls,
    registryRequiresTls,
    redisRequiresTls,
    postgresRequiresTls,
  ),
  KAFKA_SECURITY_PROTOCOL: withRules(
    env.oneOf(KAFKA_SECURITY_PROTOCOLS, 'PLAINTEXT'),
    kafkaSaslVariable('KAFKA_SASL_MECHANISM'),
    kafkaSaslVariable('KAFKA_SASL_USERNAME'),
    kafkaSaslVariable('KAFKA_SASL_PASSWORD'),
    kafkaCaFileNeedsTls,
  ),
  KAFKA_SASL_MECHANISM: env.optional(env.oneOf(KAFKA_SASL_MECHANISMS)),
  KAFKA_SASL_USERNAME: env.optional(env.string()),
  KAFKA_SASL_PASSWORD: env.secret(),
  /** A PEM file of the CA(s) that signed the brokers' certificates; unset: the system's CAs. */
  KAFKA_SSL_CA_FILE: env.optional(env.string()),
  REDIS_URL: env.url(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
  /**
   * true: REDIS_URL names one node of a Redis Cluster (any node: the client learns the rest from CLUSTER SLOTS and
   * follows MOVED/ASK and failovers). Every key a script or command touches together shares a hash tag.
   */
  REDIS_CLUSTER: env.boolean(false),
  /** A PEM file of the CA(s) that signed Redis's certificate (rediss:// only); unset: the system's CAs. */
  REDIS_TLS_CA_FILE: withRules(env.optional(env.string()), redisSettingsAgree),
  DATABASE_URL: databaseUrl('postgres://postgres@127.0.0.1:5432/postgres'),
  /** The sslmode when DATABASE_URL names none (the URL lives in a secret; the policy can live beside it). */
  DATABASE_SSLMODE: withRules(env.optional(env.oneOf(POSTGRES_SSL_MODES)), postgresSettingsAgree),
  /** A PEM file of the CA(s) that signed Postgres's certificate; unset: the system's CAs. */
  DATABASE_SSL_CA_FILE: env.optional(env.string()),
};
