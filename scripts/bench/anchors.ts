/**
 * What this machine can do at all, measured with the tools' own benchmarks, so Tally's numbers read against
 * them: Kafka's producer and consumer perf tests (from the broker's jars) at a given record size, and
 * redis-benchmark. Used by scripts/bench/suite.ts; `tsx scripts/bench/anchors.ts` prints them alone.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { kafkaClasspath, stackEndpoints, stackUp } from '@tally/stack';
import { createKafka } from '@tally/streaming';
import { createLogger } from '@tally/observability';

const run = promisify(execFile);

export interface Anchors {
  recordBytes: number;
  records: number;
  kafkaProduceRecordsPerSecond: number;
  kafkaProduceP99Ms: number;
  kafkaConsumeRecordsPerSecond: number;
  redisSetPerSecond: number;
  redisGetPerSecond: number;
  redisZaddPerSecond: number;
}

const java = (mainClass: string, args: string[]) =>
  run('java', ['-Xmx512m', '-cp', kafkaClasspath(), mainClass, ...args], {
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });

/** kafka-producer-perf-test with acks=all, as our producers send: the last summary line's records/sec and p99. */
async function producerPerf(brokers: string, topic: string, records: number, recordBytes: number) {
  const { stdout } = await java('org.apache.kafka.tools.ProducerPerformance', [
    '--topic',
    topic,
    '--num-records',
    String(records),
    '--record-size',
    String(recordBytes),
    '--throughput',
    '-1',
    '--producer-props',
    `bootstrap.servers=${brokers}`,
    'acks=all',
    'linger.ms=5',
    'batch.size=65536',
  ]);
  const summary = stdout.trim().split('\n').pop()!;
  const rate = /([\d.]+) records\/sec/.exec(summary);
  const p99 = /([\d.]+) ms 99th/.exec(summary);
  if (!rate || !p99) throw new Error(`unexpected kafka-producer-perf-test output: ${summary}`);
  return { recordsPerSecond: Math.round(Number(rate[1])), p99Ms: Number(p99[1]) };
}

/** kafka-consumer-perf-test reading those records: nMsg.sec of its summary line. */
async function consumerPerf(brokers: string, topic: string, records: number) {
  const { stdout } = await java('org.apache.kafka.tools.ConsumerPerformance', [
    '--bootstrap-server',
    brokers,
    '--topic',
    topic,
    '--messages',
    String(records),
    '--timeout',
    '60000',
  ]);
  const lines = stdout.trim().split('\n');
  const header = lines.findIndex((l) => l.includes('nMsg.sec'));
  if (header < 0) throw new Error(`unexpected kafka-consumer-perf-test output: ${stdout.slice(-500)}`);
  const columns = lines[header]!.split(',').map((c) => c.trim());
  const values = lines[header + 1]!.split(',').map((c) => c.trim());
  return { recordsPerSecond: Math.round(Number(values[columns.indexOf('nMsg.sec')])) };
}

/** redis-benchmark on the machine's Redis: SET, GET and ZADD, 50 clients, pipelining off (as our reads are). */
async function redisBenchmark(redisUrl: string) {
  const url = new URL(redisUrl);
  const { stdout } = await run(
    'redis-benchmark',
    ['-h', url.hostname, '-p', url.port || '6379', '-n', '200000', '-c', '50', '-t', 'set,get,zadd', '--csv'],
    { timeout: 300_000 },
  );
  const rate = (test: string) => {
    const line = stdout.split('\n').find((l) => l.startsWith(`"${test}"`));
    if (!line) throw new Error(`redis-benchmark printed no ${test}: ${stdout.slice(0, 300)}`);
    return Math.round(Number(line.split(',')[1]!.replace(/"/g, '')));
  };
  return { set: rate('SET'), get: rate('GET'), zadd: rate('ZADD') };
}

export async function measureAnchors(options: { records?: number; recordBytes?: number } = {}): Promise<Anchors> {
  const records = options.records ?? 500_000;
  const recordBytes = options.recordBytes ?? 120;
  const endpoints = stackEndpoints();
  const brokers = endpoints.brokers.join(',');
  const topic = `bench.anchor.${Date.now().toString(36)}`;
  const admin = createKafka({
    brokers: endpoints.brokers,
    clientId: 'bench-anchors',
    logger: createLogger('bench', 'warn'),
  }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 12, replicationFactor: 1 }] });
  try {
    const produce = await producerPerf(brokers, topic, records, recordBytes);
    const consume = await consumerPerf(brokers, topic, records);
    const redis = await redisBenchmark(endpoints.redisUrl);
    return {
      recordBytes,
      records,
      kafkaProduceRecordsPerSecond: produce.recordsPerSecond,
      kafkaProduceP99Ms: produce.p99Ms,
      kafkaConsumeRecordsPerSecond: consume.recordsPerSecond,
      redisSetPerSecond: redis.set,
      redisGetPerSecond: redis.get,
      redisZaddPerSecond: redis.zadd,
    };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await stackUp(() => undefined);
  console.log(JSON.stringify(await measureAnchors(), null, 2));
}
