import { describe, expect, it } from 'vitest';
import { DEFAULT_REGIONS, REGIONAL_TOPICS, TOPICS, regionalTopicName, topicCatalogue } from '@tally/contracts';
import { declaredTopics, retentionMs, topicConfig } from './topics.js';

describe('declaredTopics', () => {
  const declared = declaredTopics();

  it('is the catalogue, with each default region’s topics', () => {
    expect(declared.topics).toEqual(topicCatalogue(DEFAULT_REGIONS));
    expect(declaredTopics(['eu']).topics.map((t) => t.name)).toContain(
      regionalTopicName(REGIONAL_TOPICS.ballots.template, 'eu'),
    );
  });

  it('caps replication to the brokers there are, and min ISR to the replication', () => {
    const spec = declared.topics.find((t) => t.name === TOPICS.walletCommands.name)!;
    expect(topicConfig(spec, declared.defaults, 1).replicationFactor).toBe(1);
    expect(topicConfig(spec, declared.defaults, 1).configEntries).toContainEqual({
      name: 'min.insync.replicas',
      value: '1',
    });
    expect(topicConfig(spec, declared.defaults, 5)).toMatchObject({ replicationFactor: 3 });
    expect(topicConfig(spec, declared.defaults, 5).configEntries).toContainEqual({
      name: 'min.insync.replicas',
      value: '2',
    });
  });

  it('turns every declared retention into milliseconds', () => {
    for (const { name, retention } of declared.topics)
      expect(Number.isInteger(retentionMs(retention)), name).toBe(true);
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
