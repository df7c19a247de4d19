import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createRedis, isRedisCluster } from './redis.js';

describe('createRedis: one server, or a Redis Cluster when REDIS_CLUSTER says so', () => {
  it('reads REDIS_CLUSTER as the config schema does (true, 1, yes), default one server', () => {
    expect(isRedisCluster({})).toBe(false);
    expect(isRedisCluster({ REDIS_CLUSTER: 'false' })).toBe(false);
    for (const yes of ['true', '1', 'yes', true] as const) expect(isRedisCluster({ REDIS_CLUSTER: yes })).toBe(true);
  });

  it('seeds a Cluster client with the URL’s node, passing credentials, TLS and the name to every node', () => {
    const cluster = createRedis('rediss://app:s%40cret@redis-0.example.com:7000', 'counter-materializer', {
      REDIS_CLUSTER: 'true',
    });
    try {
      expect(cluster).toBeInstanceOf(Cluster);
      const c = cluster as Cluster;
      expect((c as unknown as { startupNodes: unknown }).startupNodes).toEqual([
        { host: 'redis-0.example.com', port: 7000 },
      ]);
      expect(c.options.enableAutoPipelining).toBe(true);
      expect(c.options.redisOptions).toMatchObject({
        username: 'app',
        password: 's@cret',
        connectionName: 'counter-materializer',
        maxRetriesPerRequest: 3,
        tls: { rejectUnauthorized: true },
      });
    } finally {
      cluster.disconnect();
    }
  });

  it('keeps one server a plain client', () => {
    const redis = createRedis('redis://127.0.0.1:6379', 'x', {});
    try {
      expect(redis).toBeInstanceOf(Redis);
    } finally {
      redis.disconnect();
    }
  });
});
