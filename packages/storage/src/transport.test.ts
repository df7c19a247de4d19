import { Redis } from 'ioredis';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { postgresConnection } from './postgres.js';
import { redisOptions, redisTls } from './redis.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
/** What a pg client would connect with (its parsed connection parameters; no connection is made). */
const sslOf = (config: pg.ClientConfig) =>
  (new pg.Client(config) as unknown as { connectionParameters: { ssl: unknown } }).connectionParameters.ssl;

const read = (path: string) => {
  if (path === '/tls/ca.pem') return PEM;
  throw new Error(`ENOENT: no such file or directory, open '${path}'`);
};

describe('postgresConnection: sslmode (URL, else DATABASE_SSLMODE) → pg ssl, as libpq means it', () => {
  const url = 'postgres://tally:pw@db.example.com:5432/tally';

  it('disable, or no sslmode at all, is plaintext: ssl false, so pg reads no PGSSLMODE either', () => {
    expect(postgresConnection(url, {}, read)).toEqual({ connectionString: url, ssl: false });
    expect(postgresConnection(`${url}?sslmode=disable`, {}, read)).toEqual({ connectionString: url, ssl: false });
    expect(postgresConnection('postgres://postgres@127.0.0.1:5432/postgres', { DATABASE_SSLMODE: '' }, read).ssl).toBe(
      false,
    );
  });

  it('require encrypts without authenticating the server; with a CA file it verifies the chain (verify-ca)', () => {
    expect(postgresConnection(`${url}?sslmode=require`, {}, read)).toEqual({
      connectionString: url,
      ssl: { rejectUnauthorized: false },
    });
    const withCa = postgresConnection(
      url,
      { DATABASE_SSLMODE: 'require', DATABASE_SSL_CA_FILE: '/tls/ca.pem' },
      read,
    ).ssl;
    expect(withCa).toMatchObject({ rejectUnauthorized: true, ca: [PEM] });
    expect(withCa && withCa.checkServerIdentity?.('elsewhere.example.com', {} as never)).toBeUndefined();
  });

  it('verify-ca checks the chain against the CA file and not the host name; it needs the CA file', () => {
    const { ssl } = postgresConnection(`${url}?sslmode=verify-ca`, { DATABASE_SSL_CA_FILE: '/tls/ca.pem' }, read);
    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: [PEM] });
    expect(ssl && typeof ssl.checkServerIdentity).toBe('function');
    expect(() => postgresConnection(`${url}?sslmode=verify-ca`, {}, read)).toThrow(
      'DATABASE_SSL_CA_FILE: is required with sslmode=verify-ca',
    );
  });

  it("verify-full checks the chain (CA file, else the system's CAs) and the host name (Node's own check)", () => {
    expect(postgresConnection(`${url}?sslmode=verify-full`, {}, read)).toEqual({
      connectionString: url,
      ssl: { rejectUnauthorized: true },
    });
    expect(
      postgresConnection(
        `${url}?application_name=tally&sslmode=verify-full`,
        { DATABASE_SSL_CA_FILE: '/tls/ca.pem' },
        read,
      ),
    ).toEqual({
      connectionString: `${url}?application_name=tally`,
      ssl: { rejectUnauthorized: true, ca: [PEM] },
    });
    expect(postgresConnection(url, { DATABASE_SSLMODE: 'verify-full' }, read).ssl).toEqual({
      rejectUnauthorized: true,
    });
  });

  it('refuses what it cannot apply faithfully', () => {
    expect(() => postgresConnection(`${url}?sslmode=prefer`, {}, read)).toThrow(
      'DATABASE_URL: sslmode must be one of disable, require, verify-ca, verify-full (got "prefer")',
    );
    expect(() => postgresConnection(url, { DATABASE_SSLMODE: 'no-verify' }, read)).toThrow(
      'DATABASE_SSLMODE must be one of',
    );
    expect(() => postgresConnection(`${url}?sslmode=require&sslrootcert=/tls/ca.pem`, {}, read)).toThrow(
      'DATABASE_URL: TLS is set by sslmode and DATABASE_SSL_CA_FILE only: remove sslrootcert',
    );
    expect(() => postgresConnection(`${url}?sslmode=require`, { DATABASE_SSLMODE: 'verify-full' }, read)).toThrow(
      'DATABASE_SSLMODE: is verify-full, but DATABASE_URL says sslmode=require',
    );
    expect(() => postgresConnection(url, { DATABASE_SSL_CA_FILE: '/tls/ca.pem' }, read)).toThrow(
      'DATABASE_SSL_CA_FILE: is set, but sslmode is disable',
    );
    expect(() =>
      postgresConnection(`${url}?sslmode=verify-full`, { DATABASE_SSL_CA_FILE: '/tls/gone.pem' }, read),
    ).toThrow(
      "DATABASE_SSL_CA_FILE: cannot read /tls/gone.pem (ENOENT: no such file or directory, open '/tls/gone.pem')",
    );
  });

  it('reaches pg as given: the URL no longer carries an sslmode that would replace ssl', () => {
    const connection = postgresConnection(`${url}?sslmode=verify-full`, { DATABASE_SSL_CA_FILE: '/tls/ca.pem' }, read);
    expect(sslOf(connection)).toEqual({ rejectUnauthorized: true, ca: [PEM] });
    // why: handed the URL as it was, pg 8 drops the CA given beside it (and reads require as verify-full)
    expect(sslOf({ connectionString: `${url}?sslmode=verify-full`, ssl: { ca: [PEM] } })).toEqual({});
    expect(sslOf(postgresConnection(url, {}, read))).toBe(false);
  });
});

describe('redisTls: rediss:// → ioredis tls', () => {
  it('redis:// is plaintext; rediss:// verifies against the system CAs, or the CA file', () => {
    expect(redisTls('redis://127.0.0.1:6379', {}, read)).toEqual({});
    expect(redisTls('rediss://redis.example.com:6380', {}, read)).toEqual({ tls: { rejectUnauthorized: true } });
    expect(redisTls('rediss://:pw@redis.example.com:6380', { REDIS_TLS_CA_FILE: '/tls/ca.pem' }, read)).toEqual({
      tls: { rejectUnauthorized: true, ca: [PEM] },
    });
    expect(redisTls('redis://127.0.0.1:6379', { REDIS_TLS_CA_FILE: '' }, read)).toEqual({});
  });

  it('refuses a CA file for a plaintext URL, and one it cannot read', () => {
    expect(() => redisTls('redis://redis:6379', { REDIS_TLS_CA_FILE: '/tls/ca.pem' }, read)).toThrow(
      'REDIS_TLS_CA_FILE: is set, but the Redis URL is not rediss://',
    );
    expect(() => redisTls('rediss://redis:6379', { REDIS_TLS_CA_FILE: '/tls/gone.pem' }, read)).toThrow(
      'REDIS_TLS_CA_FILE: cannot read /tls/gone.pem',
    );
  });

  it('reaches ioredis as given (its own tls: true for rediss:// does not replace ours), and redis:// stays plaintext', () => {
    const tlsClient = new Redis('rediss://redis.example.com:6380', {
      ...redisOptions('rediss://redis.example.com:6380', 'test', { REDIS_TLS_CA_FILE: '/tls/ca.pem' }, read),
      lazyConnect: true,
    });
    expect(tlsClient.options).toMatchObject({
      host: 'redis.example.com',
      port: 6380,
      connectionName: 'test',
      tls: { rejectUnauthorized: true, ca: [PEM] },
    });
    const plain = new Redis('redis://127.0.0.1:6379', {
      ...redisOptions('redis://127.0.0.1:6379', 'test', {}, read),
      lazyConnect: true,
    });
    expect(plain.options.tls).toBeUndefined();
    tlsClient.disconnect();
    plain.disconnect();
  });
});
