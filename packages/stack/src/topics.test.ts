import { describe, expect, it } from 'vitest';
import { DEFAULT_REGIONS, REGIONAL_TOPICS, TOPICS, regionalTopicName, topicCatalogue } from '@tally/contracts';
import {
  declaredTopics,
  isKeyed,
  parsePartitionsOverride,
  partitionAction,
  repartitionWarning,
  retentionMs,
  topicConfig,
  withPartitions,
} from './topics.js';

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

describe('partitionAction', () => {
  it('creates a missing topic with the declared count', () => {
    expect(partitionAction(undefined, 12, true, false)).toEqual({ action: 'create', count: 12 });
  });

  it('keeps a topic that has what is declared', () => {
    expect(partitionAction(12, 12, true, false)).toEqual({ action: 'keep', count: 12 });
  });

  it('never shrinks, keyed or not, allowed or not', () => {
    for (const keyed of [true, false])
      for (const allow of [true, false])
        expect(partitionAction(24, 12, keyed, allow)).toEqual({ action: 'cannot shrink', has: 24, declared: 12 });
  });

  it('refuses to grow a keyed topic unless repartitioning is allowed', () => {
    expect(partitionAction(1, 12, true, false)).toEqual({ action: 'refuse', from: 1, to: 12 });
    expect(partitionAction(1, 12, true, true)).toEqual({ action: 'grow', from: 1, to: 12 });
  });

  it('grows a topic without keys freely', () => {
    expect(partitionAction(3, 6, false, false)).toEqual({ action: 'grow', from: 3, to: 6 });
  });
});

describe('isKeyed', () => {
  it('holds for every topic of the catalogue, so none grows without --allow-repartition', () => {
    for (const spec of topicCatalogue(DEFAULT_REGIONS)) expect(isKeyed(spec), spec.name).toBe(true);
  });

  it('is false for an empty key', () => {
    expect(isKeyed({ key: '' })).toBe(false);
    expect(isKeyed({ key: '  ' })).toBe(false);
  });
});

describe('repartitionWarning', () => {
  it('says what moves, what stays exact, and what to do', () => {
    const text = repartitionWarning(TOPICS.walletCommands.name, { from: 12, to: 24, key: 'userId', compacted: false });
    expect(text).toContain('tally.wallet.commands: not grown from 12 to 24 partitions');
    expect(text).toContain('keyed by userId');
    expect(text).toMatch(/written before and after the change\s+land on different partitions/);
    expect(text).toContain('order per key is lost');
    expect(text).toContain('wallet ledger locks accounts');
    expect(text).toMatch(/stop the producers and let the consumers drain/);
    expect(text).toContain('--allow-repartition');
    expect(text).not.toContain('compacted');
  });

  it('warns that a compacted topic keeps a key’s older value on its old partition', () => {
    const text = repartitionWarning(TOPICS.voteResults.name, { from: 3, to: 6, key: 'pollId', compacted: true });
    expect(text).toContain('compacted');
  });
});

describe('--partitions', () => {
  it('reads <topic>=<n>', () => {
    expect(parsePartitionsOverride('tally.wallet.commands=24')).toEqual({
      topic: 'tally.wallet.commands',
      partitions: 24,
    });
  });

  it('refuses anything else', () => {
    for (const bad of ['tally.wallet.commands', 'tally.wallet.commands=0', '=3', 'x=-1', 'x=1.5', 'x=three'])
      expect(() => parsePartitionsOverride(bad), bad).toThrow(/<topic>=<n>/);
  });

  it('overrides only the topics named, and refuses a topic the catalogue lacks', () => {
    const declared = declaredTopics();
    const grown = withPartitions(declared, new Map([[TOPICS.walletCommands.name, 24]]));
    for (const [before, after] of declared.topics.map((t, i) => [t, grown.topics[i]!] as const))
      expect(after.partitions).toBe(before.name === TOPICS.walletCommands.name ? 24 : before.partitions);
    expect(declared.topics.find((t) => t.name === TOPICS.walletCommands.name)!.partitions).toBe(12);
    expect(() => withPartitions(declared, new Map([['tally.nope', 3]]))).toThrow(/tally\.nope/);
  });
});
