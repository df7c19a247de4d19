import { describe, expect, it } from 'vitest';
import { schemas } from '@tally/schemas';
import { loadTopics, retentionMs, topicConfig } from './topics.js';

describe('deploy/topics.yaml', () => {
  const file = loadTopics();

  it('declares every topic with a known value schema', () => {
    expect(file.topics.length).toBeGreaterThan(0);
    for (const topic of file.topics) if (topic.valueSchema) expect(Object.keys(schemas)).toContain(topic.valueSchema);
  });

  it('caps replication to the brokers there are, and min ISR to the replication', () => {
    const spec = file.topics[0]!;
    expect(topicConfig(spec, file.defaults, 1).replicationFactor).toBe(1);
    expect(topicConfig(spec, file.defaults, 1).configEntries).toContainEqual({
      name: 'min.insync.replicas',
      value: '1',
    });
    expect(topicConfig(spec, file.defaults, 5)).toMatchObject({ replicationFactor: 3 });
    expect(topicConfig(spec, file.defaults, 5).configEntries).toContainEqual({
      name: 'min.insync.replicas',
      value: '2',
    });
  });
});

describe('retentionMs', () => {
  it('reads durations', () => {
    expect(retentionMs('500ms')).toBe(500);
    expect(retentionMs('30s')).toBe(30_000);
    expect(retentionMs('7d')).toBe(604_800_000);
    expect(retentionMs('forever')).toBe(-1);
  });
});
