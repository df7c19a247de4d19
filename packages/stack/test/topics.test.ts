/**
 * `topics apply` against the real broker: a keyed topic is not grown (its keys would be re-hashed) unless
 * repartitioning is allowed, a topic without keys is, and the refusal stops nothing else. On throwaway topics under
 * a prefix of the test's own, created with 1 partition and deleted at the end; the CLI is only asked to grow a
 * catalogue topic it must refuse, so the shared topics are left as they are.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TOPIC_DEFAULTS, TOPICS } from '@tally/contracts';
import { createTestTopics, eventually, uniqueName, withAdmin } from '@tally/testkit';
import {
  RepartitionRefusedError,
  applyTopics,
  growPartitions,
  type DeclaredTopics,
  type TopicSpec,
} from '../src/topics.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const stack = inject('stack');
const prefix = `${uniqueName('test.topics')}.`;

const keyed: TopicSpec = { ...TOPICS.walletCommands, partitions: 3, retention: '1d' };
const unkeyed: TopicSpec = { ...TOPICS.deadLetters, name: 'unkeyed', key: '', partitions: 3 };
const declared: DeclaredTopics = { defaults: TOPIC_DEFAULTS, topics: [keyed, unkeyed] };
const keyedTopic = prefix + keyed.name;
const unkeyedTopic = prefix + unkeyed.name;

const admin = <T>(work: (admin: Admin) => Promise<T>) => withAdmin(stack.brokers, work);
const partitionsOf = (topic: string) =>
  admin(async (a) => (await a.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 0);
/** Metadata may lag a partition change by a moment. */
async function expectPartitions(topic: string, count: number): Promise<void> {
  let seen = 0;
  await eventually(async () => (seen = await partitionsOf(topic)) === count, 15_000, 100);
  expect(seen, topic).toBe(count);
}

async function tally(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = { ...process.env, KAFKA_BROKERS: stack.brokers.join(','), SCHEMA_REGISTRY_URL: stack.registryUrl };
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args], { env, timeout: 90_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

beforeAll(async () => {
  await createTestTopics(stack.brokers, [
    { name: keyedTopic, partitions: 1 },
    { name: unkeyedTopic, partitions: 1 },
  ]);
});

afterAll(async () => {
  await admin((a) => a.deleteTopics({ topics: [keyedTopic, unkeyedTopic] }).catch(() => undefined));
});

describe('applyTopics growing partitions', () => {
  it('refuses to grow a keyed topic, and still grows one without keys and aligns configs', async () => {
    const changes = await admin((a) => applyTopics(a, declared, prefix));
    expect(changes).toContainEqual(
      expect.objectContaining({
        topic: keyedTopic,
        action: 'refused',
        refused: { from: 1, to: 3, key: 'userId', compacted: false },
      }),
    );
    expect(changes).toContainEqual({ topic: unkeyedTopic, action: 'partitions increased', detail: '1 → 3' });
    // the refused topic's configs are still brought in line: only its partition count waits
    expect(changes).toContainEqual(expect.objectContaining({ topic: keyedTopic, action: 'config updated' }));
    await expectPartitions(unkeyedTopic, 3);
    expect(await partitionsOf(keyedTopic)).toBe(1);
  });

  it('grows the keyed topic when repartitioning is allowed, then has nothing left to do', async () => {
    const changes = await admin((a) => applyTopics(a, declared, prefix, { allowRepartition: true }));
    expect(changes).toContainEqual({ topic: keyedTopic, action: 'partitions increased', detail: '1 → 3' });
    await expectPartitions(keyedTopic, 3);
    expect(await admin((a) => applyTopics(a, declared, prefix))).toEqual([
      { topic: keyedTopic, action: 'unchanged' },
      { topic: unkeyedTopic, action: 'unchanged' },
    ]);
  });

  it('growPartitions grows one topic only when allowed, and never shrinks', async () => {
    const refused = await admin((a) => growPartitions(a, keyedTopic, 4)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RepartitionRefusedError);
    expect((refused as Error).message).toContain(`${keyedTopic}: not grown from 3 to 4 partitions`);
    expect(await partitionsOf(keyedTopic)).toBe(3);

    expect(await admin((a) => growPartitions(a, keyedTopic, 4, { allowRepartition: true }))).toEqual({
      topic: keyedTopic,
      action: 'partitions increased',
      detail: '3 → 4',
    });
    await expectPartitions(keyedTopic, 4);
    expect(await admin((a) => growPartitions(a, keyedTopic, 2, { allowRepartition: true }))).toMatchObject({
      action: 'unchanged',
    });
    await expectPartitions(keyedTopic, 4);
  });
});

describe('tally topics apply', () => {
  it('exits 2 naming a keyed topic it refused to grow, and leaves that topic as it was', async () => {
    const topic = TOPICS.walletCommands.name;
    // a fresh cluster (Testcontainers) has no catalogue topics yet
    if ((await admin((a) => a.listTopics())).includes(topic) === false) await tally('topics', 'apply');
    const has = await partitionsOf(topic);
    expect(has).toBeGreaterThan(0);

    const { stdout, stderr, code } = await tally('topics', 'apply', '--partitions', `${topic}=${has + 1}`);
    expect(code).toBe(2);
    expect(stdout).toContain(`${topic}: refused (${has} → ${has + 1} partitions`);
    expect(stderr).toContain(`${topic}: not grown from ${has} to ${has + 1} partitions`);
    expect(stderr).toContain('--allow-repartition');
    expect(stderr).toMatch(new RegExp(`refused to grow \\d+ keyed topic\\(s\\): .*${topic.replaceAll('.', '\\.')}`));
    expect(await partitionsOf(topic)).toBe(has);
  });

  it('refuses a --partitions for a topic the catalogue does not declare', async () => {
    const { stderr, code } = await tally('topics', 'apply', '--partitions', `${keyedTopic}=5`);
    expect(code).toBe(1);
    expect(stderr).toContain(keyedTopic);
    expect(await partitionsOf(keyedTopic)).toBe(4);
  });
});
