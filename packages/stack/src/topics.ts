import type { Admin, ITopicConfig } from 'kafkajs';
import kafkajs from 'kafkajs';
import {
  DEFAULT_REGIONS,
  TOPIC_DEFAULTS,
  topicCatalogue,
  type TopicContract,
  type TopicDefaults,
} from '@tally/contracts';

// kafkajs is CommonJS and Node cannot see this export by name
const { ConfigResourceTypes } = kafkajs;

export type TopicSpec = TopicContract;

/** The topics a cluster should have, and the replication they are made with before capping to its brokers. */
export interface DeclaredTopics {
  defaults: TopicDefaults;
  topics: TopicSpec[];
}

/**
 * Every topic of the catalogue (@tally/contracts) with the production defaults: what `topics apply`, `setup`
 * and `stack up` create. deploy/topics.yaml is generated from the same (`pnpm gen:topics`).
 */
export function declaredTopics(regions: readonly string[] = DEFAULT_REGIONS): DeclaredTopics {
  return { defaults: TOPIC_DEFAULTS, topics: topicCatalogue(regions) };
}

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function retentionMs(retention: string): number {
  if (retention === 'forever') return -1;
  const [, n, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(retention)!;
  return Number(n) * unitMs[unit!]!;
}

/** The broker configs a spec implies, with replication capped to what the cluster can hold. */
export function topicConfig(spec: TopicSpec, defaults: TopicDefaults, brokers: number) {
  const replicationFactor = Math.min(defaults.replicationFactor, brokers);
  const minInsync = Math.min(defaults.minInsyncReplicas, replicationFactor);
  return {
    replicationFactor,
    configEntries: [
      { name: 'cleanup.policy', value: spec.cleanupPolicy },
      { name: 'retention.ms', value: String(retentionMs(spec.retention)) },
      { name: 'min.insync.replicas', value: String(minInsync) },
    ],
  };
}

export interface TopicChange {
  topic: string;
  action: 'created' | 'partitions increased' | 'config updated' | 'unchanged';
  detail?: string;
}

/** Brings the cluster in line with the declaration: create, grow partitions, align configs. Never deletes. */
export async function applyTopics(admin: Admin, file: DeclaredTopics, namePrefix = ''): Promise<TopicChange[]> {
  const { brokers } = await admin.describeCluster();
  const existing = new Set(await admin.listTopics());
  const changes: TopicChange[] = [];
  const toCreate: ITopicConfig[] = [];
  for (const spec of file.topics) {
    const topic = namePrefix + spec.name;
    const config = topicConfig(spec, file.defaults, brokers.length);
    if (!existing.has(topic)) {
      toCreate.push({
        topic,
        numPartitions: spec.partitions,
        replicationFactor: config.replicationFactor,
        configEntries: config.configEntries,
      });
      changes.push({
        topic,
        action: 'created',
        detail: `${spec.partitions} partitions, replication ${config.replicationFactor}`,
      });
    }
  }
  if (toCreate.length) await admin.createTopics({ topics: toCreate, waitForLeaders: true });

  const present = file.topics.filter((s) => existing.has(namePrefix + s.name));
  if (present.length === 0) return changes;
  const metadata = await admin.fetchTopicMetadata({ topics: present.map((s) => namePrefix + s.name) });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map((s) => ({
      type: ConfigResourceTypes.TOPIC,
      name: namePrefix + s.name,
      configNames: ['cleanup.policy', 'retention.ms', 'min.insync.replicas'],
    })),
  });
  for (const spec of present) {
    const topic = namePrefix + spec.name;
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    if (partitions < spec.partitions) {
      await admin.createPartitions({ topicPartitions: [{ topic, count: spec.partitions }] });
      changes.push({ topic, action: 'partitions increased', detail: `${partitions} → ${spec.partitions}` });
    } else if (partitions > spec.partitions) {
      changes.push({
        topic,
        action: 'unchanged',
        detail: `has ${partitions} partitions, more than the ${spec.partitions} declared; Kafka cannot shrink a topic`,
      });
      continue;
    }
    const want = topicConfig(spec, file.defaults, brokers.length).configEntries;
    const have = described.resources.find((r) => r.resourceName === topic)?.configEntries ?? [];
    const differing = want.filter((w) => have.find((h) => h.configName === w.name)?.configValue !== w.value);
    if (differing.length) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: want }],
      });
      changes.push({
        topic,
        action: 'config updated',
        detail: differing.map((d) => `${d.name}=${d.value}`).join(', '),
      });
    } else if (partitions >= spec.partitions && !changes.some((c) => c.topic === topic)) {
      changes.push({ topic, action: 'unchanged' });
    }
  }
  return changes;
}
