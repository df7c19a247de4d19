/**
 * Hot-stream benchmark on this machine (not a test: it prints numbers): ONE stream with 200,000 live sessions, each
 * heartbeating every 5 s (40,000 heartbeats/s), counted by viewer-aggregator as one Redis key on one partition
 * (`before`: today's keying, the stream has 1 shard) and spread over shards (`after`: VIEWER_STREAM_SHARDS
 * `<stream>=<shards>`, a Redis sub-key and a record key per shard), side by side in the same run. For each:
 *   1. the per-stream ceiling: rounds of every session's heartbeat, keyed as the gateway keys them, produced straight
 *      to the run's topic (acks=all), then drained by a fresh aggregator (presence in Redis, minute history in
 *      Postgres, counts to Kafka): heartbeats/s of one stream from its first processed record to lag 0; then one
 *      more round, applied by that aggregator and a second instance in its group, and the count read back;
 *   2. live: a gateway in front, 200,000 sessions sending a heartbeat each every 5 s through the batch route, paced
 *      to 40,000/s (offered) for `--live-rounds` rounds, with a fresh aggregator consuming as they come; then lag 0
 *      and GET /viewers: the count must be exactly the number of sessions.
 * Usage: tsx scripts/bench/hot-stream.ts [--sessions 200000] [--shards 12] [--rounds 3] [--live-rounds 2] [--quick]
 */
import { parseArgs } from 'node:util';
import { TOPICS, heartbeatRecordKey, parseStreamShards } from '@tally/contracts';
import { createSchemaRegistry, topicCodec, type Heartbeat } from '@tally/schemas';
import { TypedProducer, consumerLag } from '@tally/streaming';
import * as bench from './lib.js';

const { values: args } = parseArgs({
  options: {
    sessions: { type: 'string', default: '200000' },
    shards: { type: 'string', default: String(TOPICS.viewerHeartbeats.partitions) },
    rounds: { type: 'string', default: '3' },
    'live-rounds': { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    quick: { type: 'boolean', default: false },
  },
});
const sessions = args.quick ? 20_000 : Number(args.sessions);
const shards = Number(args.shards);
const rounds = args.quick ? 2 : Number(args.rounds);
const liveRounds = args.quick ? 2 : Number(args['live-rounds']);
const concurrency = Number(args.concurrency);
const PERIOD_MS = 5000;
const BATCH = 1000;
const run = `bench-hot-${Date.now().toString(36)}`;
const modes = [
  { mode: 'before', shards: 1 },
  { mode: 'after', shards },
] as const;
const topicOf = (mode: string) => `bench.${run}.${mode}.viewer-heartbeats`;
const schemaOf = (mode: string, phase: string) => `viewer_aggregator_${run.replace(/-/g, '_')}_${mode}_${phase}`;
const redisPrefix = `tally:bench:${run}`;
const apiKey = { key: 'bench-hot-stream-key', name: 'bench', scopes: ['viewers:write'] };
const { note, printJson } = bench.benchResults({ run, sessions, shards, rounds, liveRounds }, 64);

const streamOf = (mode: string) => `${run}-${mode}`;
const sessionId = (i: number) => `viewer-${i}`;

function aggregatorEnv(mode: string, phase: string, streamShards: string): Record<string, string> {
  return {
    HEARTBEATS_TOPIC: topicOf(mode),
    REDIS_PREFIX: `${redisPrefix}:${mode}:${phase}`,
    DB_SCHEMA: schemaOf(mode, phase),
    ...(streamShards ? { VIEWER_STREAM_SHARDS: streamShards } : {}),
  };
}

async function measureMode(
  stack: Parameters<Parameters<typeof bench.runBench>[0]['measure']>[0],
  services: bench.BenchServices,
  kafka: bench.Kafka,
  { mode, shards: n }: (typeof modes)[number],
) {
  const streamId = streamOf(mode);
  const streamShards = n > 1 ? `${streamId}=${n}` : '';
  const config = parseStreamShards(streamShards);
  const topic = topicOf(mode);
  const label = `${mode} (${n} shard${n > 1 ? 's' : ''})`;
  console.log(`${label}: ${sessions} sessions on one stream`);

  // 1. the ceiling: a backlog of `rounds` heartbeats per session, keyed as the gateway keys them
  const start = Date.now();
  const records = Array.from({ length: rounds * sessions }, (_, i) => {
    const round = Math.floor(i / sessions);
    const at = start + round * PERIOD_MS + (i % sessions) * (PERIOD_MS / sessions);
    const value: Heartbeat = {
      // each player a source of its own, its seq the round, as real players write (one source for everything
      // would spread one source's seqs over every partition, whose seq windows then archive a block per few seqs)
      source: `${run}-${mode}-player-${i % sessions}`,
      seq: round,
      streamId,
      sessionId: sessionId(i % sessions),
      userId: null,
      positionMs: round * PERIOD_MS,
      state: 'PLAYING',
      atMs: Math.floor(at),
      receivedAtMs: Math.floor(at),
    };
    return { key: heartbeatRecordKey(config, value), value };
  });
  const partitionsUsed = new Set(records.map((r) => r.key)).size;
  const group = `${run}-${mode}-drain`;
  const drained = await bench.drainBacklog(
    stack,
    services,
    { topic, schema: TOPICS.viewerHeartbeats.valueSchema, records },
    { name: 'viewer-aggregator', group, env: aggregatorEnv(mode, 'drain', streamShards) },
  );
  note(`${label}: record keys of the stream`, partitionsUsed);
  note(
    `${label}: per-stream ceiling, heartbeats/s drained (${records.length} backlog)`,
    Math.round(drained.eventsPerSecond),
  );
  note(`${label}: aggregator batches during the drain`, await bench.batchSummary(drained.service.url));

  // the exact count: one more round, every session's heartbeat received now, produced straight to Kafka (the
  // gateway on these 2 cores offers less than 40,000/s), drained by the same aggregator and a second instance in
  // its group (what shards are for: a 1-shard stream leaves the second idle on the stream's one partition), then
  // GET /viewers: a session counts while its newest heartbeat was received within 30 s, so the count is exact
  // only if the two applied the round within that
  const second = await services.start('viewer-aggregator', {
    CONSUMER_GROUP: group,
    ...aggregatorEnv(mode, 'drain', streamShards),
  });
  await bench.sleep(5000); // the group rebalances to two members before the round is sent
  const producer = new TypedProducer(kafka, { lingerMs: 5 });
  await producer.connect();
  const codec = topicCodec(createSchemaRegistry(stack.registryUrl), topic, TOPICS.viewerHeartbeats.valueSchema);
  const roundStart = Date.now();
  const fresh = Array.from({ length: sessions }, (_, i) => {
    const value: Heartbeat = {
      ...records[i]!.value,
      seq: rounds,
      atMs: roundStart + Math.floor((i * PERIOD_MS) / sessions),
      receivedAtMs: roundStart + Math.floor((i * PERIOD_MS) / sessions),
    };
    return { key: heartbeatRecordKey(config, value), value };
  });
  const producedRate = await bench.produceAll(producer, codec, fresh);
  await producer.disconnect();
  await bench.waitForDrain(kafka, group, [topic]);
  const appliedAfterMs = Date.now() - roundStart;
  const counted = await bench.httpClient(drained.service.url).get(`/v1/streams/${streamId}/viewers`);
  const exact = (JSON.parse(counted.body) as { concurrent: number }).concurrent;
  note(`${label}: one more round produced (heartbeats/s, client)`, Math.round(producedRate));
  note(`${label}: that round applied by two aggregator instances, ms after its first heartbeat`, appliedAfterMs);
  note(`${label}: GET /viewers concurrent then (expected ${sessions})`, exact);
  note(`${label}: exact (two aggregator instances)`, exact === sessions ? 'yes' : 'NO');
  await second.stop('SIGTERM');
  await drained.service.stop('SIGTERM');

  // 2. live through the gateway, paced to one heartbeat per session every 5 s, a fresh aggregator consuming
  const liveGroup = `${run}-${mode}-live`;
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({
    groupId: liveGroup,
    topic,
    partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
  });
  const aggregator = await services.start('viewer-aggregator', {
    CONSUMER_GROUP: liveGroup,
    ...aggregatorEnv(mode, 'live', streamShards),
  });
  const {
    gateway,
    service: reads,
    process: gatewayProcess,
    close,
  } = await bench.gatewayInFront(services, apiKey, aggregator.url, {
    HEARTBEATS_TOPIC: topic,
    VIEWER_AGGREGATOR_URL: aggregator.url,
    ...(streamShards ? { VIEWER_STREAM_SHARDS: streamShards } : {}),
  });
  let accepted = 0;
  let refused = 0;
  const liveStart = performance.now();
  let behindMs = 0;
  for (let round = 0; round < liveRounds; round++) {
    const roundStart = liveStart + round * PERIOD_MS;
    let next = 0;
    // each worker sends the next batch when its time in the round has come (40,000/s), or at once when late
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (;;) {
          const from = next;
          next += BATCH;
          if (from >= sessions) return;
          const due = roundStart + (from / sessions) * PERIOD_MS;
          const wait = due - performance.now();
          if (wait > 0) await bench.sleep(wait);
          else behindMs = Math.max(behindMs, -wait);
          const items = Array.from({ length: Math.min(BATCH, sessions - from) }, (_, k) => ({
            streamId,
            source: `${run}-${mode}-live-player-${from + k}`,
            seq: round,
            sessionId: sessionId(from + k),
            positionMs: round * PERIOD_MS,
          }));
          for (let attempt = 0; ; attempt++) {
            const reply = await gateway.send('POST', '/v1/heartbeats/batch', { items });
            if (reply.status === 200) {
              const { results: answers } = JSON.parse(reply.body) as { results: { status: number }[] };
              const ok = answers.filter((r) => r.status === 202).length;
              accepted += ok;
              refused += answers.length - ok;
              break;
            }
            if (attempt > 5) {
              refused += items.length;
              break;
            }
            await bench.sleep(200);
          }
        }
      }),
    );
  }
  const sendSeconds = (performance.now() - liveStart) / 1000;
  const sentAt = performance.now();
  await bench.waitForDrain(kafka, liveGroup, [topic]);
  const drainedAfterMs = performance.now() - sentAt;
  const lag = await consumerLag(admin, liveGroup, [topic]);
  await admin.disconnect();
  const { concurrent } = JSON.parse((await reads.get(`/v1/streams/${streamId}/viewers`)).body) as {
    concurrent: number;
  };
  close();
  note(
    `${label}: live, heartbeats/s offered (${sessions} sessions every 5 s)`,
    Math.round(sessions / (PERIOD_MS / 1000)),
  );
  note(
    `${label}: live, heartbeats/s accepted by the gateway (${liveRounds} rounds)`,
    Math.round(accepted / sendSeconds),
  );
  note(`${label}: live, refused or failed heartbeats`, refused);
  note(`${label}: live, longest a batch was sent behind its time, ms`, Math.round(behindMs));
  note(`${label}: live, aggregator lag 0 after the last send, ms`, Math.round(drainedAfterMs));
  note(
    `${label}: live, final lag`,
    lag.reduce((s, p) => s + p.lag, 0),
  );
  note(`${label}: live, GET /viewers concurrent (expected ${sessions})`, concurrent);
  note(`${label}: live, exact`, concurrent === sessions ? 'yes' : 'NO');
  await gatewayProcess.stop('SIGTERM');
  await aggregator.stop('SIGTERM');
  return { ceiling: Math.round(drained.eventsPerSecond), concurrent, exact };
}

void bench.runBench({
  title: `hot-stream benchmark ${run}: one stream, ${sessions} sessions every 5 s, 1 shard against ${shards}`,
  topics: modes.map(({ mode }) => ({
    name: topicOf(mode),
    partitions: TOPICS.viewerHeartbeats.partitions,
    schema: TOPICS.viewerHeartbeats.valueSchema,
  })),
  created: {
    groups: modes.flatMap(({ mode }) => [`${run}-${mode}-drain`, `${run}-${mode}-live`]),
    schemas: modes.flatMap(({ mode }) => [schemaOf(mode, 'drain'), schemaOf(mode, 'live')]),
    redisPrefix,
  },
  printJson,
  measure: async (stack, services, kafka) => {
    const measured = [];
    for (const mode of modes) measured.push(await measureMode(stack, services, kafka, mode));
    const [before, after] = measured as [(typeof measured)[0], (typeof measured)[0]];
    console.log('side by side (same run):');
    note('per-stream ceiling heartbeats/s: 1 shard / sharded', `${before.ceiling} / ${after.ceiling}`);
    note('sharded ceiling ÷ 1-shard ceiling', +(after.ceiling / before.ceiling).toFixed(2));
    note('count after one more round: 1 shard / sharded', `${before.exact} / ${after.exact} (of ${sessions})`);
    note('live final count: 1 shard / sharded', `${before.concurrent} / ${after.concurrent} (of ${sessions})`);
  },
});
