import { Redis } from 'ioredis';

export type { Redis };

/**
 * One ioredis connection per service. Commands fail after a few retries instead of queueing forever, so a
 * consumer sees Redis being down as a transient error and retries its batch rather than hanging.
 */
export function createRedis(url: string, name = 'tally'): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 100, 2000),
  });
}
