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

/**
 * Whether a topic's records carry a key that decides their partition. Every topic of the catalogue is keyed (by the
 * entity whose order matters); one declared with an empty key would be spread without regard to keys.
 */
export function isKeyed(spec: Pick<TopicSpec, 'key'>): boolean {
  return spec.key.trim() !== '';
}

/** What to do about a topic's partition count, given what the cluster has and what is declared. */
export type PartitionAction =
  | { action: 'create'; count: number }
  | { action: 'keep'; count: number }
  | { action: 'grow'; from: number; to: number }
  | { action: 'refuse'; from: number; to: number }
  | { action: 'cannot shrink'; has: number; declared: number };

/**
 * The partition decision, pure. Growing a keyed topic moves keys: a key's partition is murmur2(key) % partitions,
 * so its records written before and after the change sit on different partitions and lose their order across
 * it. That is done only when asked for explicitly; a topic without keys grows freely.
 */
export function partitionAction(
  existing: number | undefined,
  declared: number,
  keyed: boolean,
  allowRepartition: boolean,
): PartitionAction {
  if (existing === undefined) return { action: 'create', count: declared };
  if (existing === declared) return { action: 'keep', count: existing };
  if (existing > declared) return { action: 'cannot shrink', has: existing, declared };
  return keyed && !allowRepartition
    ? { action: 'refuse', from: existing, to: declared }
    : { action: 'grow', from: existing, to: declared };
}

/** A growth of a keyed topic that was not done: what would have moved. */
export interface Repartition {
  from: number;
  to: number;
  /** What the topic is keyed by, as the catalogue says (e.g. userId). */
  key: string;
  compacted: boolean;
}

export interface TopicChange {
  topic: string;
  action: 'created' | 'partitions increased' | 'refused' | 'config updated' | 'unchanged';
  detail?: string;
  /** Set when action is 'refused'. */
  refused?: Repartition;
}

/**
 * Why a keyed topic was not grown and what to do, for an operator: what moves, what stays exact, and how to go on.
 * The services' state stays exact under the change (writes are applied once by (source, seq), the wallet ledger
 * locks accounts), but a consumer relying on one key = one partition sees one key's records on two partitions
 * until the old partition's records are consumed.
 */
export function repartitionWarning(topic: string, { from, to, key, compacted }: Repartition): string {
  return [
    `${topic}: not grown from ${from} to ${to} partitions. Its records are keyed by ${key}, and a key's partition is`,
    `murmur2(key) % partitions: growing re-hashes the keys, so a key's records written before and after the change`,
    `land on different partitions and their order per key is lost across the change (the services' state stays`,
    `exact: writes are applied once by (source, seq), the wallet ledger locks accounts; but per-key ordering resets).`,
    ...(compacted
      ? [`The topic is compacted: a key's older value stays on its old partition, beside the newer one on the new.`]
      : []),
    `To grow it: stop the producers and let the consumers drain (lag 0) first, then run again with`,
    `--allow-repartition (allowRepartition: true).`,
  ].join('\n  ');
}

export interface ApplyTopicsOptions {
  /** Grow keyed topics too, re-hashing their keys (see repartitionWarning). Default: refuse, reported as 'refused'. */
  allowRepartition?: boolean;
}

/**
 * Brings the cluster in line with the declaration: create, grow partitions, align configs. Never deletes. A keyed
 * topic is not grown unless `allowRepartition`; it is reported as 'refused' and the other topics are still applied.
 */
export async function applyTopics(
  admin: Admin,
  file: DeclaredTopics,
  namePrefix = '',
  options: ApplyTopicsOptions = {},
): Promise<TopicChange[]> {
  const { brokers } = await admin.describeCluster();
  const existing = new Set(await admin.listTopics());
  const named = file.topics.map((spec) => ({ spec, topic: namePrefix + spec.name }));
  const missing = named.filter(({ topic }) => !existing.has(topic));
  const present = named.filter(({ topic }) => existing.has(topic));
  const changes = await createTopics(admin, missing, file.defaults, brokers.length);
  if (present.length === 0) return changes;

  const metadata = await admin.fetchTopicMetadata({ topics: present.map((p) => p.topic) });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: present.map(({ topic }) => ({ type: ConfigResourceTypes.TOPIC, name: topic, configNames })),
  });
  for (const { spec, topic } of present) {
    const partitions = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
    const decision = partitionAction(partitions, spec.partitions, isKeyed(spec), options.allowRepartition ?? false);
    const partitionChange = await actOnPartitions(admin, topic, spec, decision);
    if (partitionChange) changes.push(partitionChange);
    // grown beyond the catalogue on purpose (Kafka cannot shrink it back): reported, otherwise left as it is
    if (decision.action === 'cannot shrink') continue;
    const want = topicConfig(spec, file.defaults, brokers.length).configEntries;
    const have = described.resources.find((r) => r.resourceName === topic)?.configEntries ?? [];
    const configChange = await alignConfigs(admin, topic, want, have);
    if (configChange) changes.push(configChange);
    if (!partitionChange && !configChange) changes.push({ topic, action: 'unchanged' });
  }
  return changes;
}

const configNames = ['cleanup.policy', 'retention.ms', 'min.insync.replicas'];

async function createTopics(
  admin: Admin,
  missing: { spec: TopicSpec; topic: string }[],
  defaults: TopicDefaults,
  brokers: number,
): Promise<TopicChange[]> {
  const toCreate: ITopicConfig[] = missing.map(({ spec, topic }) => {
    const { replicationFactor, configEntries } = topicConfig(spec, defaults, brokers);
    return { topic, numPartitions: spec.partitions, replicationFactor, configEntries };
  });
  if (toCreate.length) await admin.createTopics({ topics: toCreate, waitForLeaders: true });
  return toCreate.map((t) => ({
    topic: t.topic,
    action: 'created',
    detail: `${t.numPartitions} partitions, replication ${t.replicationFactor}`,
  }));
}

/** Carries out a partition decision on an existing topic; undefined when it has what is declared. */
async function actOnPartitions(
  admin: Admin,
  topic: string,
  spec: Pick<TopicSpec, 'key' | 'cleanupPolicy'>,
  decision: PartitionAction,
): Promise<TopicChange | undefined> {
  switch (decision.action) {
    case 'create':
    case 'keep':
      return undefined;
    case 'cannot shrink':
      return {
        topic,
        action: 'unchanged',
        detail: `has ${decision.has} partitions, more than the ${decision.declared} declared; Kafka cannot shrink a topic`,
      };
    case 'refuse':
      return {
        topic,
        action: 'refused',
        detail: `${decision.from} → ${decision.to} partitions would re-hash its keys (${spec.key}); needs --allow-repartition`,
        refused: {
          from: decision.from,
          to: decision.to,
          key: spec.key,
          compacted: spec.cleanupPolicy.includes('compact'),
        },
      };
    case 'grow':
      await admin.createPartitions({ topicPartitions: [{ topic, count: decision.to }] });
      return { topic, action: 'partitions increased', detail: `${decision.from} → ${decision.to}` };
  }
}

async function alignConfigs(
  admin: Admin,
  topic: string,
  want: { name: string; value: string }[],
  have: { configName: string; configValue: string }[],
): Promise<TopicChange | undefined> {
  const differing = want.filter((w) => have.find((h) => h.configName === w.name)?.configValue !== w.value);
  if (differing.length === 0) return undefined;
  await admin.alterConfigs({
    validateOnly: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: want }],
  });
  return { topic, action: 'config updated', detail: differing.map((d) => `${d.name}=${d.value}`).join(', ') };
}

/** A growth of one topic that was refused: the message is repartitionWarning's. */
export class RepartitionRefusedError extends Error {
  constructor(
    readonly topic: string,
    readonly refused: Repartition,
  ) {
    super(repartitionWarning(topic, refused));
    this.name = 'RepartitionRefusedError';
  }
}

export interface GrowPartitionsOptions {
  allowRepartition?: boolean;
  /** Whether the topic's records are keyed; default: as the catalogue says, and keyed for a topic not in it. */
  keyed?: boolean;
}

/**
 * Grows one existing topic to `count` partitions, e.g. a test growing tally.wallet.commands in the middle of a run.
 * Throws RepartitionRefusedError for a keyed topic unless `allowRepartition`; a count at or below what the topic
 * has changes nothing (Kafka cannot shrink a topic).
 */
export async function growPartitions(
  admin: Admin,
  topic: string,
  count: number,
  options: GrowPartitionsOptions = {},
): Promise<TopicChange> {
  if (!Number.isInteger(count) || count < 1) throw new Error(`${topic}: a partition count is a whole number above 0`);
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const has = metadata.topics.find((t) => t.name === topic)?.partitions.length;
  if (!has) throw new Error(`${topic}: no such topic`);
  const spec = topicCatalogue().find((t) => t.name === topic);
  const keyed = options.keyed ?? (spec ? isKeyed(spec) : true);
  const decision = partitionAction(has, Math.max(count, has), keyed, options.allowRepartition ?? false);
  const about = { key: spec?.key ?? 'its record key', cleanupPolicy: spec?.cleanupPolicy ?? 'delete' };
  const change = await actOnPartitions(admin, topic, about, decision);
  if (change?.refused) throw new RepartitionRefusedError(topic, change.refused);
  return change ?? { topic, action: 'unchanged', detail: `has ${has} partitions, asked for ${count}` };
}

/** A `--partitions <topic>=<n>` value, read. */
export function parsePartitionsOverride(value: string): { topic: string; partitions: number } {
  const match = /^(.+)=(\d+)$/.exec(value.trim());
  if (!match || Number(match[2]) < 1)
    throw new Error(`--partitions takes <topic>=<n> with n a whole number above 0 (got ${JSON.stringify(value)})`);
  return { topic: match[1]!, partitions: Number(match[2]) };
}

/** The declaration with some topics' partition counts replaced; a topic not declared is an error, never added. */
export function withPartitions(declared: DeclaredTopics, overrides: ReadonlyMap<string, number>): DeclaredTopics {
  const unknown = [...overrides.keys()].filter((name) => !declared.topics.some((t) => t.name === name));
  if (unknown.length)
    throw new Error(`--partitions names topics the catalogue does not declare: ${unknown.join(', ')}`);
  return {
    ...declared,
    topics: declared.topics.map((t) => (overrides.has(t.name) ? { ...t, partitions: overrides.get(t.name)! } : t)),
  };
}
