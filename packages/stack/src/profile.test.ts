import { describe, expect, it } from 'vitest';
import { brokerAddresses, brokerSettings } from './kafka-broker.js';
import { stackProfile } from './profile.js';
import { redisClusterPorts, redisClusterSettings } from './redis-cluster.js';
import { registrySettings } from './schema-registry.js';

describe('the stack profiles: single (default) and cluster, side by side on their own ports', () => {
  it('defaults to single and refuses an unknown profile', () => {
    expect(stackProfile({})).toBe('single');
    expect(stackProfile({ TALLY_STACK_PROFILE: 'cluster' })).toBe('cluster');
    expect(() => stackProfile({ TALLY_STACK_PROFILE: 'multi' })).toThrow(/single or cluster/);
  });

  it('single: one broker on 9092, the registry on 8081', () => {
    const broker = brokerSettings({});
    expect(brokerAddresses(broker)).toEqual(['127.0.0.1:9092']);
    expect(broker.controllerPort).toBe(9093);
    expect(registrySettings({}).port).toBe(8081);
  });

  it('cluster: three brokers, a registry and six Redis nodes on ports that do not meet the single stack’s', () => {
    const env = { TALLY_STACK_PROFILE: 'cluster' };
    const broker = brokerSettings(env);
    expect(brokerAddresses(broker)).toEqual(['127.0.0.1:19092', '127.0.0.1:19093', '127.0.0.1:19094']);
    expect(broker.controllerPort).toBe(19192);
    expect(registrySettings(env).port).toBe(18081);
    expect(redisClusterPorts(redisClusterSettings(env))).toEqual([17001, 17002, 17003, 17004, 17005, 17006]);
  });

  it('lets every port be moved (a fault run puts its own cluster elsewhere)', () => {
    const env = { TALLY_STACK_PROFILE: 'cluster', TALLY_KAFKA_PORT: '29092', TALLY_KAFKA_NODES: '3' };
    expect(brokerAddresses(brokerSettings(env))).toEqual(['127.0.0.1:29092', '127.0.0.1:29093', '127.0.0.1:29094']);
  });
});
