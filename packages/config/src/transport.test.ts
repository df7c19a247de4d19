import { describe, expect, it } from 'vitest';
import { ConfigError, asSecret, env, parseConfig, platformConfig, platformShape } from './index.js';

function problemsOf(source: NodeJS.ProcessEnv, shape: Parameters<typeof parseConfig>[0] = platformShape): string[] {
  try {
    parseConfig(shape, source);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

/** A production deployment on managed services: Kafka over SASL_SSL with SCRAM, Postgres verify-full, rediss. */
const MANAGED: NodeJS.ProcessEnv = {
  TALLY_ENV: 'production',
  KAFKA_BROKERS: 'b-1.kafka.example.com:9096,b-2.kafka.example.com:9096',
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'tally',
  KAFKA_SASL_PASSWORD: 'kafka-password-never-shown',
  SCHEMA_REGISTRY_URL: 'https://registry.example.com/apis/ccompat/v7',
  REDIS_URL: 'rediss://:redis-password-never-shown@redis.example.com:6380',
  DATABASE_URL: 'postgres://tally:pg-password-never-shown@db.example.com:5432/tally?sslmode=verify-full',
  DATABASE_SSL_CA_FILE: '/etc/tally/tls/postgres-ca.pem',
};

const BY_PRODUCTION = 'when TLS is required (TALLY_ENV=production requires it unless TALLY_REQUIRE_TLS=false)';

describe('transport security: defaults', () => {
  it('stays plaintext on the local stack, TLS not required outside production', () => {
    expect(platformConfig({})).toMatchObject({
      TALLY_ENV: 'development',
      TALLY_REQUIRE_TLS: false,
      KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
      KAFKA_SASL_MECHANISM: undefined,
      KAFKA_SSL_CA_FILE: undefined,
      REDIS_URL: 'redis://127.0.0.1:6379',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      DATABASE_SSLMODE: undefined,
    });
    expect(platformConfig({ TALLY_ENV: 'test' }).TALLY_REQUIRE_TLS).toBe(false);
  });

  it('requires TLS in production unless told otherwise, and anywhere when told', () => {
    expect(platformConfig(MANAGED).TALLY_REQUIRE_TLS).toBe(true);
    expect(platformConfig({ TALLY_ENV: 'production', TALLY_REQUIRE_TLS: 'false' }).TALLY_REQUIRE_TLS).toBe(false);
    expect(platformConfig({ ...MANAGED, TALLY_ENV: 'development', TALLY_REQUIRE_TLS: 'true' }).TALLY_REQUIRE_TLS).toBe(
      true,
    );
  });
});

describe('transport security: the production profile refuses plaintext', () => {
  it('accepts managed Kafka (SASL_SSL, SCRAM), Postgres (verify-full), Redis (rediss) and an https registry', () => {
    expect(problemsOf(MANAGED)).toEqual([]);
    expect(
      problemsOf({
        ...MANAGED,
        KAFKA_SECURITY_PROTOCOL: 'SSL',
        KAFKA_SASL_MECHANISM: '',
        KAFKA_SASL_USERNAME: '',
        KAFKA_SASL_PASSWORD: '',
      }),
    ).toEqual([]);
  });

  it('names each plaintext transport once, all at once', () => {
    expect(
      problemsOf({
        TALLY_ENV: 'production',
        REDIS_URL: 'redis://redis.internal:6379',
        DATABASE_URL: 'postgres://tally@db.internal/tally',
      }),
    ).toEqual([
      `KAFKA_SECURITY_PROTOCOL: must be SSL or SASL_SSL ${BY_PRODUCTION} (got nothing, so PLAINTEXT)`,
      `SCHEMA_REGISTRY_URL: must be an https URL ${BY_PRODUCTION} (got nothing, so "http://127.0.0.1:8081/apis/ccompat/v7")`,
      `REDIS_URL: must be a rediss:// URL ${BY_PRODUCTION} (got "redis://redis.internal:6379")`,
      `DATABASE_URL: needs sslmode=require, verify-ca or verify-full (in the URL, or DATABASE_SSLMODE) ${BY_PRODUCTION} (got no sslmode in it, and no DATABASE_SSLMODE)`,
    ]);
  });

  it('refuses SASL without TLS and an explicit sslmode=disable; says when TALLY_REQUIRE_TLS asked for it', () => {
    const source = {
      ...MANAGED,
      TALLY_ENV: 'development',
      TALLY_REQUIRE_TLS: 'true',
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      DATABASE_URL: 'postgres://tally@db/tally?sslmode=disable',
      DATABASE_SSL_CA_FILE: '',
    };
    expect(problemsOf(source)).toEqual([
      'KAFKA_SECURITY_PROTOCOL: must be SSL or SASL_SSL when TLS is required (TALLY_REQUIRE_TLS=true) (got "SASL_PLAINTEXT")',
      'DATABASE_URL: needs sslmode=require, verify-ca or verify-full (in the URL, or DATABASE_SSLMODE) when TLS is required (TALLY_REQUIRE_TLS=true) (got sslmode disable)',
    ]);
  });

  it('takes the sslmode from DATABASE_SSLMODE when the URL (a secret) names none', () => {
    expect(
      problemsOf({
        ...MANAGED,
        DATABASE_URL: 'postgres://tally:pw@db.example.com/tally',
        DATABASE_SSLMODE: 'verify-full',
      }),
    ).toEqual([]);
    expect(
      problemsOf({
        ...MANAGED,
        DATABASE_URL: 'postgres://tally:pw@db.example.com/tally',
        DATABASE_SSLMODE: 'disable',
        DATABASE_SSL_CA_FILE: '',
      }),
    ).toEqual([
      `DATABASE_URL: needs sslmode=require, verify-ca or verify-full (in the URL, or DATABASE_SSLMODE) ${BY_PRODUCTION} (got sslmode disable)`,
    ]);
  });

  it('leaves an unset REDIS_URL or DATABASE_URL alone: a service without Redis or Postgres never connects to them', () => {
    const { REDIS_URL: _redis, DATABASE_URL: _database, DATABASE_SSL_CA_FILE: _ca, ...gateway } = MANAGED;
    expect(problemsOf(gateway)).toEqual([]);
  });

  it('allows plaintext in production when TALLY_REQUIRE_TLS=false (a mesh that terminates TLS)', () => {
    expect(
      problemsOf({
        TALLY_ENV: 'production',
        TALLY_REQUIRE_TLS: 'false',
        REDIS_URL: 'redis://redis:6379',
        DATABASE_URL: 'postgres://tally@db/tally',
      }),
    ).toEqual([]);
  });

  it('applies to services, whose shapes spread the platform one and declare TALLY_ENV again', () => {
    const serviceShape = {
      ...platformShape,
      PORT: env.port(8080),
      TALLY_ENV: env.oneOf(['development', 'test', 'production'], 'development'),
    };
    expect(problemsOf({ TALLY_ENV: 'production', PORT: 'eighty' }, serviceShape)).toEqual([
      'PORT: must be a whole number (got "eighty")',
      `KAFKA_SECURITY_PROTOCOL: must be SSL or SASL_SSL ${BY_PRODUCTION} (got nothing, so PLAINTEXT)`,
      `SCHEMA_REGISTRY_URL: must be an https URL ${BY_PRODUCTION} (got nothing, so "http://127.0.0.1:8081/apis/ccompat/v7")`,
    ]);
  });

  it('does not judge TLS when TALLY_ENV itself is wrong (that problem is reported)', () => {
    expect(problemsOf({ TALLY_ENV: 'prod' })).toEqual([
      'TALLY_ENV: must be one of development, test, production (got "prod")',
    ]);
    expect(problemsOf({ TALLY_REQUIRE_TLS: 'always' })).toEqual([
      'TALLY_REQUIRE_TLS: must be true or false (got "always")',
    ]);
  });
});

describe('transport security: settings that contradict each other', () => {
  it('SASL needs a mechanism, a username and a password', () => {
    expect(problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toEqual([
      'KAFKA_SASL_MECHANISM: is required when KAFKA_SECURITY_PROTOCOL is SASL_SSL (one of plain, scram-sha-256, scram-sha-512)',
      'KAFKA_SASL_USERNAME: is required when KAFKA_SECURITY_PROTOCOL is SASL_SSL',
      'KAFKA_SASL_PASSWORD: is required when KAFKA_SECURITY_PROTOCOL is SASL_SSL',
    ]);
    // a bad mechanism is reported, and the missing password too
    expect(
      problemsOf({
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_MECHANISM: 'GSSAPI',
        KAFKA_SASL_USERNAME: 'tally',
      }),
    ).toEqual([
      'KAFKA_SASL_MECHANISM: must be one of plain, scram-sha-256, scram-sha-512 (got "GSSAPI")',
      'KAFKA_SASL_PASSWORD: is required when KAFKA_SECURITY_PROTOCOL is SASL_PLAINTEXT',
    ]);
    expect(
      platformConfig({
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toMatchObject({
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
    });
  });

  it('refuses credentials and CA files that the chosen protocol or URL would not use', () => {
    expect(
      problemsOf({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SASL_USERNAME: 'tally', KAFKA_SSL_CA_FILE: '/ca.pem' }),
    ).toEqual([
      'KAFKA_SASL_USERNAME: is set, but KAFKA_SECURITY_PROTOCOL is SSL, which sends no credentials (SASL_SSL does)',
    ]);
    expect(
      problemsOf({ KAFKA_SSL_CA_FILE: '/ca.pem', REDIS_TLS_CA_FILE: '/ca.pem', DATABASE_SSL_CA_FILE: '/ca.pem' }),
    ).toEqual([
      'KAFKA_SSL_CA_FILE: is set, but KAFKA_SECURITY_PROTOCOL is PLAINTEXT, which does not use TLS (SSL or SASL_SSL do)',
      'REDIS_TLS_CA_FILE: is set, but REDIS_URL is a redis:// URL, which does not use TLS (rediss:// does)',
      'DATABASE_SSL_CA_FILE: is set, but sslmode is disable (or not set), which does not use TLS (require, verify-ca or verify-full do)',
    ]);
  });

  it('takes only the sslmodes that never fall back to plaintext, and no TLS parameters pg would read itself', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://tally:secret@db/tally?sslmode=prefer' })).toEqual([
      'DATABASE_URL: sslmode must be one of disable, require, verify-ca, verify-full (prefer and allow would fall back to plaintext) (got "postgres://tally:***@db/tally?sslmode=prefer")',
    ]);
    expect(
      problemsOf({ DATABASE_URL: 'postgres://db/tally?sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem' }),
    ).toEqual([
      'DATABASE_URL: TLS is set by sslmode and DATABASE_SSL_CA_FILE only (client certificates are not supported): remove sslrootcert, sslcert (got "postgres://db/tally?sslmode=verify-full&sslrootcert=/ca.pem&sslcert=/c.pem")',
    ]);
    expect(problemsOf({ DATABASE_SSLMODE: 'no-verify' })).toEqual([
      'DATABASE_SSLMODE: must be one of disable, require, verify-ca, verify-full (got "no-verify")',
    ]);
    for (const mode of ['disable', 'require', 'verify-full'])
      expect(problemsOf({ DATABASE_URL: `postgresql://db/tally?sslmode=${mode}` })).toEqual([]);
  });

  it('verify-ca needs the CA (as libpq: against public CAs it would accept anyone with a certificate)', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://db/tally?sslmode=verify-ca' })).toEqual([
      'DATABASE_SSL_CA_FILE: is required with sslmode=verify-ca (the CA that signed the server; with a public CA use verify-full)',
    ]);
    expect(
      problemsOf({
        DATABASE_URL: 'postgres://db/tally',
        DATABASE_SSLMODE: 'verify-ca',
        DATABASE_SSL_CA_FILE: '/ca.pem',
      }),
    ).toEqual([]);
  });

  it('refuses an sslmode in the URL that DATABASE_SSLMODE contradicts', () => {
    expect(
      problemsOf({ DATABASE_URL: 'postgres://db/tally?sslmode=require', DATABASE_SSLMODE: 'verify-full' }),
    ).toEqual(['DATABASE_SSLMODE: is verify-full, but DATABASE_URL says sslmode=require: set one of them']);
    expect(problemsOf({ DATABASE_URL: 'postgres://db/tally?sslmode=require', DATABASE_SSLMODE: 'require' })).toEqual(
      [],
    );
  });
});

describe('transport security: secrets stay out of messages', () => {
  it('never quotes KAFKA_SASL_PASSWORD, nor the password of a URL', () => {
    const source = {
      ...MANAGED,
      KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
      REDIS_URL: 'redis://:redis-password-never-shown@redis.example.com:6379',
      DATABASE_URL: 'postgres://tally:pg-password-never-shown@db.example.com/tally?sslmode=allow',
    };
    let message = '';
    try {
      platformConfig(source);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('KAFKA_SASL_PASSWORD: is set, but KAFKA_SECURITY_PROTOCOL is PLAINTEXT');
    expect(message).toContain('REDIS_URL: must be a rediss:// URL');
    expect(message).toContain('"redis://:***@redis.example.com:6379"');
    expect(message).not.toMatch(/never-shown/);
  });

  it('says a malformed secret was given without quoting it', () => {
    const shape = {
      TOKEN: asSecret(env.string().refine((v) => v.length >= 8, { error: 'must be 8 characters or more' })),
      URL: env.url(['postgres']),
    };
    expect(problemsOf({ TOKEN: 'hunter2', URL: 'mysql://root:hunter2@db/x' }, shape)).toEqual([
      'TOKEN: must be 8 characters or more (got a value, not shown)',
      'URL: must be a postgres URL (got "mysql://root:***@db/x")',
    ]);
  });
});
