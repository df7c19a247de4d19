import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis } from '@tally/storage';
import { createTestTopics, eventually, quietLogger, uniqueName, withAdmin } from '@tally/testkit';
import { TypedProducer, consumerLag, createKafka } from '../src/index.js';
import { probe, probeCodecs } from './fixtures/probe.js';

const stack = inject('stack');
const run = uniqueName('crash');
const topic = `test.${run}`;
const deadLetterTopic = `test.${run}.dead-letters`;
const group = `${run}-group`;
const redis = createRedis(stack.redisUrl);
const kafka = createKafka({ brokers: stack.brokers, clientId: 'crash-test', logger: quietLogger() });
const children: ChildProcess[] = [];
const TOTAL = 6000;
const SOURCES = 3;

function startConsumer(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/counting-consumer.ts', import.meta.url))],
    {
      env: {
        ...process.env,
        BROKERS: stack.brokers.join(','),
        REGISTRY_URL: stack.registryUrl,
        REDIS_URL: stack.redisUrl,
        TOPIC: topic,
        DLQ_TOPIC: deadLetterTopic,
        GROUP: group,
        RUN: run,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('consuming') && resolve(child));
    child.on('exit', (code) => reject(new Error(`consumer exited with ${code} before it started`)));
  });
}

const deliveries = async () => Object.values(await redis.hgetall(`{${run}}:deliveries`)).length;

beforeAll(async () => {
  await createTestTopics(stack.brokers, [
    { name: topic, partitions: 3 },
    { name: deadLetterTopic, partitions: 1 },
  ]);
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  redis.disconnect();
});

describe('a consumer killed with SIGKILL mid-stream', () => {
  it('loses nothing when restarted: every record processed at least once and applied exactly once', async () => {
    const codecs = await probeCodecs(stack.registryUrl, topic, deadLetterTopic);
    const producer = new TypedProducer(kafka);
    await producer.connect();
    // produce while the first consumer works, so the kill lands in the middle of the stream
    const producing = (async () => {
      for (let start = 0; start < TOTAL; start += 500) {
        const values = Array.from({ length: 500 }, (_, i) =>
          probe(Math.floor((start + i) / SOURCES), `source-${(start + i) % SOURCES}`),
        );
        await producer.sendAll(
          codecs.probes,
          values.map((value) => ({ key: value.source, value })),
        );
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const first = await startConsumer();
    expect(await eventually(async () => (await deliveries()) >= TOTAL / 4, 60_000)).toBe(true);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const appliedAtKill = await deliveries();
    expect(appliedAtKill).toBeLessThan(TOTAL);

    await producing;
    await producer.disconnect();
    const second = await startConsumer();
    // every record seen is not enough: records the killed consumer applied but never committed come again, and
    // a SIGTERM may stop the second one before it reaches them (it finishes the chunk in hand, not the backlog)
    const groupLag = async () =>
      (await withAdmin(stack.brokers, (admin) => consumerLag(admin, group, [topic]))).reduce(
        (sum, p) => sum + p.lag,
        0,
      );
    expect(await eventually(async () => (await deliveries()) >= TOTAL && (await groupLag()) === 0, 90_000)).toBe(true);

    // SIGTERM: the consumer finishes its batch, commits and exits 0, leaving the group with nothing to redo
    const exited = new Promise<number | null>((resolve) => second.once('exit', resolve));
    second.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await groupLag()).toBe(0);

    const applications = await redis.hgetall(`{${run}}:applications`);
    const deliveryCounts = await redis.hgetall(`{${run}}:deliveries`);
    const appliedTotal = Object.values(applications).reduce((sum, n) => sum + Number(n), 0);
    const deliveredTotal = Object.values(deliveryCounts).reduce((sum, n) => sum + Number(n), 0);
    expect(Object.keys(applications)).toHaveLength(TOTAL); // every (source, seq) applied...
    expect(appliedTotal).toBe(TOTAL); // ...exactly once
    expect(deliveredTotal).toBeGreaterThanOrEqual(TOTAL); // at least once; the excess is what the crash redelivered
    console.log(
      `crash test: ${TOTAL} records, ${appliedAtKill} distinct seqs seen before SIGKILL, ${deliveredTotal} deliveries, ${deliveredTotal - TOTAL} redelivered and absorbed`,
    );
  });
});
