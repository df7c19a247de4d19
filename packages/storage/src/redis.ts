import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis as StandaloneRedis, type RedisOptions } from 'ioredis';
import { given, readCaFile, readText, type ReadText } from '@tally/config';

/**
 * A Redis client: one server, or a Redis Cluster (ioredis's Cluster, which routes each command to the primary of
 * its key's slot). Code written against it keeps every key a command or script touches in one slot (a shared
 * hash tag) and uses no explicit pipeline across keys, so it runs unchanged on both.
 */
export type Redis = StandaloneRedis | Cluster;

/** How to reach Redis beyond its URL, under the platform's variable names (@tally/config). */
export interface RedisTransportSettings {
  /** A PEM file of the CA(s) that signed Redis's certificate (rediss:// only); unset: the system's CAs. */
  REDIS_TLS_CA_FILE?: string | undefined;
  /** 'true' (or true): the URL names a node of a Redis Cluster. */
  REDIS_CLUSTER?: string | boolean | undefined;
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

export const isRedisCluster = (settings: RedisTransportSettings) =>
  settings.REDIS_CLUSTER === true || ['true', '1', 'yes'].includes(String(settings.REDIS_CLUSTER ?? ''));

/**
 * One ioredis connection per service (one per cluster node with REDIS_CLUSTER). Commands fail after a few
 * retries instead of queueing forever, so a consumer sees Redis being down (or a failover under way) as a
 * transient error and retries its batch rather than hanging. TLS follows the URL (rediss://) and, by default,
 * REDIS_TLS_CA_FILE and REDIS_CLUSTER from the process environment.
 */
export function createRedis(url: string, name = 'tally', transport: RedisTransportSettings = process.env): Redis {
  const options = redisOptions(url, name, transport);
  if (!isRedisCluster(transport)) return new StandaloneRedis(url, options);
  const seed = new URL(url);
  const { enableAutoPipelining, ...perNode } = options;
  return new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], {
    enableAutoPipelining,
    // a replica promoted after its primary failed: learn the new layout at once rather than on the next MOVED
    slotsRefreshInterval: 2000,
    clusterRetryStrategy: (times) => Math.min(times * 100, 2000),
    redisOptions: {
      ...perNode,
      ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
      ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
    },
  });
}

/**
 * The primaries of a cluster, or the one server: what FLUSHALL, SCAN and INFO must visit one by one. A cluster
 * client knows its nodes once it has loaded the slots, so this waits for that first.
 */
export async function redisPrimaries(redis: Redis): Promise<StandaloneRedis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready') {
    if (redis.status === 'wait') void redis.connect().catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('error', reject);
    });
  }
  return redis.nodes('master');
}

/** Every key matching `pattern`, over every primary (SCAN, never KEYS). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of await redisPrimaries(redis)) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

/** Deletes keys one by one (each may live on another node: no multi-key DEL across slots). */
export async function deleteKeys(redis: Redis, keys: string[]): Promise<void> {
  await Promise.all(keys.map((key) => redis.unlink(key)));
}

/** FLUSHALL on every primary (tests and fault runs: wiping Redis as a crash without persistence would). */
export async function flushAll(redis: Redis): Promise<void> {
  await Promise.all((await redisPrimaries(redis)).map((node) => node.flushall()));
}

/**
 * On a Redis Cluster: until every primary's writes so far reached its replica (WAIT 1 on each primary), or
 * `timeoutMs` passed. A consumer calls it before committing offsets, so that a primary crashing after the commit
 * cannot take the batch's Redis writes with it: its replica, promoted in its place, has them (Redis replicates
 * asynchronously; without this, the writes of the last moments before a crash are lost with the primary). On
 * one server it does nothing. Returns the primaries whose replica did not confirm in time (a replica down): the
 * batch goes on rather than stall the service, and the caller counts it.
 */
export async function awaitReplicas(redis: Redis, timeoutMs: number): Promise<number> {
  if (!(redis instanceof Cluster)) return 0;
  const acknowledged = await Promise.all(redis.nodes('master').map((node) => node.wait(1, timeoutMs)));
  return acknowledged.filter((replicas) => replicas < 1).length;
}

/**
 * Calls `onFailover` when a Redis Cluster's client learns of a primary it did not know as one (a replica
 * promoted after its primary failed, seen at the next slots refresh): writes the old primary had not yet
 * replicated are gone. Code whose Redis state is rebuilt from Postgres treats that as a partial loss of Redis.
 * On one server it never calls.
 */
export function onPrimaryChange(redis: Redis, onFailover: () => void): void {
  if (!(redis instanceof Cluster)) return;
  const primaries = () => new Set(redis.nodes('master').map((n) => `${n.options.host}:${n.options.port}`));
  let known = new Set<string>();
  redis.on('refresh', () => {
    const now = primaries();
    if (known.size > 0 && [...now].some((p) => !known.has(p))) onFailover();
    known = now;
  });
}
