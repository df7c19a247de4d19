import { describe, expect, it } from 'vitest';
import { schemas } from '@tally/schemas';
import {
  DEFAULT_REGIONS,
  REGIONAL_TOPICS,
  TOPICS,
  TOPIC_DEFAULTS,
  regionalTopicName,
  topicCatalogue,
} from './topics.js';

// What Kafka accepts as a topic name (legal characters, at most 249 of them).
const KAFKA_TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const RETENTION = /^(\d+)(ms|s|m|h|d)$|^forever$/;

describe('the topic catalogue', () => {
  const catalogue = topicCatalogue();

  it('holds every shared topic and each default region’s regional topics', () => {
    expect(catalogue).toHaveLength(
      Object.keys(TOPICS).length + DEFAULT_REGIONS.length * Object.keys(REGIONAL_TOPICS).length,
    );
    expect(catalogue.map((t) => t.name)).toContain('kr.tally.votes.ballots');
  });

  it('names each topic once, with a name Kafka accepts', () => {
    const names = catalogue.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name, name).toMatch(KAFKA_TOPIC_NAME);
  });

  it('gives every topic a value schema that @tally/schemas knows', () => {
    for (const { name, valueSchema } of catalogue) expect(Object.keys(schemas), name).toContain(valueSchema);
  });

  it('gives every topic partitions, a retention the stack can read, a key and a doc', () => {
    for (const topic of catalogue) {
      expect(Number.isInteger(topic.partitions) && topic.partitions >= 1, topic.name).toBe(true);
      expect(topic.retention, topic.name).toMatch(RETENTION);
      expect(topic.key.length, topic.name).toBeGreaterThan(0);
      expect(topic.doc.length, topic.name).toBeGreaterThan(0);
    }
  });

  it('puts each region’s id where a regional template says, and only there', () => {
    for (const { template } of Object.values(REGIONAL_TOPICS)) {
      expect(template).toContain('{region}');
      expect(regionalTopicName(template, 'jp')).toBe(template.replace('{region}', 'jp'));
    }
    expect(regionalTopicName(REGIONAL_TOPICS.snapshots.template, 'na')).toBe('na.tally.votes.snapshots');
  });

  it('has the regional topics of the regions it is given, and no others', () => {
    const names = topicCatalogue(['eu']).map((t) => t.name);
    expect(names).toContain('eu.tally.votes.ballots');
    expect(names).toContain('eu.tally.votes.snapshots');
    expect(names.filter((n) => n.startsWith('kr.'))).toEqual([]);
  });

  it('asks for no more in-sync replicas than there are replicas', () => {
    expect(TOPIC_DEFAULTS.minInsyncReplicas).toBeLessThanOrEqual(TOPIC_DEFAULTS.replicationFactor);
  });
});
