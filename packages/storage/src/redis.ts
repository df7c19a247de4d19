import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import { given, readCaFile, readText, type ReadText } from '@tally/config';

export type { Redis };

/** How to reach Redis securely beyond its URL, under the platform's variable names (@tally/config). */
export interface RedisTransportSettings {
  /** A PEM file of the CA(s) that signed Redis's certificate (rediss:// only); unset: the system's CAs. */
  REDIS_TLS_CA_FILE?: string | undefined;
}

/**
 * ioredis's `tls` for a URL: a rediss:// URL is TLS, Redis's certificate verified against REDIS_TLS_CA_FILE or
 * else the system's CAs, and its host name checked (ioredis connects with the URL's host, which Node checks the
 * certificate against); redis:// is plaintext. Stated explicitly rather than left to ioredis's own `tls: true`
 * for rediss://, which an options object would override anyway.
 */
export function redisTls(
  url: string,
  settings: RedisTransportSettings,
  read: ReadText = readText,
): Pick<RedisOptions, 'tls'> {
  const caFile = given(settings.REDIS_TLS_CA_FILE);
  if (!/^rediss:\/\//i.test(url)) {
    if (caFile !== undefined)
      throw new Error('REDIS_TLS_CA_FILE: is set, but the Redis URL is not rediss://, which would not use TLS');
    return {};
  }
  const tls: ConnectionOptions = { rejectUnauthorized: true };
  if (caFile !== undefined) tls.ca = [readCaFile('REDIS_TLS_CA_FILE', caFile, read)];
  return { tls };
}

/** The options createRedis gives ioredis with `url`: exported so that tests see what a connection would use. */
export function redisOptions(
  url: string,
  name: string,
  settings: RedisTransportSettings,
  read: ReadText = readText,
): RedisOptions {
  return {
    connectionName: name,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...redisTls(url, settings, read),
  };
}

/**
 * One ioredis connection per service. Commands fail after a few retries instead of queueing forever, so a
 * consumer sees Redis being down as a transient error and retries its batch rather than hanging. TLS follows
 * the URL (rediss://) and, by default, REDIS_TLS_CA_FILE from the process environment.
 */
export function createRedis(url: string, name = 'tally', transport: RedisTransportSettings = process.env): Redis {
  return new Redis(url, redisOptions(url, name, transport));
}
