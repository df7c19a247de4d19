/**
 * Global votes benchmark on this machine (not a test: it prints numbers). Four regions and the merger, each its
 * own process (vote-merger in its two roles), on fresh topics and schemas:
 *   1. region throughput: one region drains a backlog of ballots (10% of voters vote twice) into its counts;
 *   2. vote → world: one ballot at a time produced to region kr, timed until kr serves a global result that
 *      counts it (region → snapshot → merger → result → back to the region), p50 / p99;
 *   3. POST → visible through ingest-gateway on region jp: a vote in a poll of its own, then GET
 *      /v1/polls/{id}/results (served by jp) until jp's count in the world result shows it, idle and then under
 *      background ballots at half jp's rate of 1, sent as clients send them: a site's backend POSTs the votes of
 *      the last 20 ms to the gateway's batch route (--load-via gateway: one request per vote instead;
 *      --load-via kafka: produced straight to jp's topic).
 * Usage: pnpm bench:votes [--ballots 200000] [--probes 100] [--load-via batch|gateway|kafka]
 * Profiling region jp: BENCH_NODE_OPTIONS="--import ./scripts/bench/cpu-profile.js" BENCH_CPU_PROFILE_DIR=/tmp/prof-votes
 */
import { parseArgs } from 'node:util';
import { createSchemaRegistry, topicCodec, type Ballot, type PollDefinition } from '@tally/schemas';
import { TypedProducer, consumerLag } from '@tally/streaming';
import { createTopicsWithSchemas, type ServiceProcess, type TestStack } from '@tally/testkit';
import { DEFAULT_REGIONS, REGIONAL_TOPICS, REGION_PLACEHOLDER, TOPICS, regionalTopicName } from '@tally/contracts';
import * as bench from './lib.js';

const { values: args } = parseArgs({
  options: {
    ballots: { type: 'string', default: '200000' },
    probes: { type: 'string', default: '100' },
    'load-via': { type: 'string', default: 'batch' },
  },
});
const BALLOTS = Number(args.ballots);
const PROBES = Number(args.probes);
const { via: LOAD_VIA, what: LOAD_WHAT } = bench.loadVia(args['load-via']);
const OPTIONS = ['a', 'b', 'c', 'd', 'e'];
const run = `bench_votes_${Date.now().toString(36)}`;
const prefix = `bench.${run}`;
const topics = {
  polls: `${prefix}.polls`,
  results: `${prefix}.results`,
  ballotsTemplate: `${prefix}.${REGION_PLACEHOLDER}.ballots`,
  snapshotsTemplate: `${prefix}.${REGION_PLACEHOLDER}.snapshots`,
  ballots: (r: string) => regionalTopicName(topics.ballotsTemplate, r),
  snapshots: (r: string) => regionalTopicName(topics.snapshotsTemplate, r),
};
const allTopics = [
  topics.polls,
  topics.results,
  ...DEFAULT_REGIONS.flatMap((r) => [topics.ballots(r), topics.snapshots(r)]),
];
const groupOf = (role: string) => `${run}.${role}`;
const schemaOf = (role: string) => `${run}_${role}`;
const apiKey = { key: 'bench-votes-key-0123456789abcdef', name: 'bench-votes', scopes: ['polls:write'] };
const out = bench.benchResults({ run, ballots: BALLOTS }, 62);

interface Result {
  regions: Record<string, { votes: number }>;
}

const environment = (role: string, region?: string) => ({
  VOTE_ROLE: role,
  ...(region ? { REGION: region } : {}),
  POLL_DEFINITIONS_TOPIC: topics.polls,
  VOTE_RESULTS_TOPIC: topics.results,
  VOTE_BALLOTS_TOPIC_TEMPLATE: topics.ballotsTemplate,
  VOTE_SNAPSHOTS_TOPIC_TEMPLATE: topics.snapshotsTemplate,
  CONSUMER_GROUP: groupOf(region ?? 'merger'),
  DB_SCHEMA: schemaOf(region ?? 'merger'),
});

/** The world result a service (or the gateway) serves for `pollId`, or undefined while there is none. */
async function resultAt(url: string, pollId: string): Promise<Result | undefined> {
  const response = await fetch(`${url}/v1/polls/${pollId}/results`);
  return response.ok ? ((await response.json()) as Result) : undefined;
}

const defineBallot = (
  pollId: string,
  region: string,
  userId: string,
  seq: number,
  optionId: string,
  source = 'bench',
): Ballot => ({ source, seq, pollId, region, userId, optionId, castAtMs: Date.now() });

/** jp's backlog: one ballot per voter, and a second (that must not count) from every tenth. */
function jpBacklog(): Ballot[] {
  const ballots: Ballot[] = [];
  for (let i = 0; ballots.length < BALLOTS; i++) {
    ballots.push(defineBallot('bench-poll', 'jp', `jp-${i}`, ballots.length, OPTIONS[i % OPTIONS.length]!));
    if (i % 10 === 0 && ballots.length < BALLOTS)
      ballots.push({ ...ballots[ballots.length - 1]!, seq: ballots.length, optionId: 'a' });
  }
  return ballots;
}

/** 1. jp drains a backlog produced while its counter is stopped; then until kr serves a world result with all of it. */
async function measureRegionRate(
  stack: TestStack,
  services: bench.BenchServices,
  producer: TypedProducer,
  regions: Map<string, ServiceProcess>,
) {
  await regions.get('jp')!.stop('SIGTERM');
  const ballots = jpBacklog();
  const codec = topicCodec(
    createSchemaRegistry(stack.registryUrl),
    topics.ballots('jp'),
    REGIONAL_TOPICS.ballots.valueSchema,
  );
  const produced = await bench.produceAll(
    producer,
    codec,
    ballots.map((b) => ({ key: `${b.pollId}/${b.userId}`, value: b })),
  );
  out.note('ballots produced to Kafka (client, acks=all), ballots/s', Math.round(produced));
  const kafka = bench.benchKafka(stack);
  const admin = kafka.admin();
  await admin.connect();
  const t1 = performance.now();
  const jp = await services.start('vote-merger', environment('region', 'jp'), { underTest: true });
  regions.set('jp', jp);
  while (!(await consumerLag(admin, groupOf('jp'), [topics.ballots('jp')])).every((p) => p.lag === 0))
    await bench.sleep(50);
  const ballotsPerSecond = ballots.length / ((performance.now() - t1) / 1000);
  out.note(
    `region jp: ballots/s counted (${ballots.length} backlog, incl. process start)`,
    Math.round(ballotsPerSecond),
  );
  out.note('region jp: consumer batches during the drain', await bench.batchSummary(jp.url));
  await admin.disconnect();
  const t2 = performance.now();
  const expectedJp = new Set(ballots.map((b) => b.userId)).size;
  while (((await resultAt(regions.get('kr')!.url, 'bench-poll'))?.regions.jp?.votes ?? 0) < expectedJp)
    await bench.sleep(20);
  out.note('then until region kr serves a world result with all of jp, ms', Math.round(performance.now() - t2));
  return ballotsPerSecond;
}

/** 2. one ballot at a time, produced to kr: until kr serves a world result that counts it. */
async function measureVoteToWorld(stack: TestStack, producer: TypedProducer, kr: ServiceProcess) {
  const codec = topicCodec(
    createSchemaRegistry(stack.registryUrl),
    topics.ballots('kr'),
    REGIONAL_TOPICS.ballots.valueSchema,
  );
  const votesAtKr = async () => (await resultAt(kr.url, 'bench-poll'))?.regions.kr?.votes ?? 0;
  const times: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    const before = await votesAtKr();
    const t = performance.now();
    await producer.send(codec, {
      key: `bench-poll/kr-${i}`,
      value: defineBallot('bench-poll', 'kr', `kr-${i}`, i, 'b', 'bench-probe'),
    });
    while ((await votesAtKr()) <= before) await bench.sleep(2);
    times.push(performance.now() - t);
  }
  out.note(
    'vote → counted in the world result served by its region: p50 / p99 ms',
    bench.p50p99(times.sort((a, b) => a - b)),
  );
}

/** A vote in `pollId` through the gateway, until the world result jp serves (through the gateway) counts it. */
function probeVotes(gateway: bench.HttpClient, pollId: string, label: string): Promise<number[]> {
  let counted = 0;
  return bench.writeToVisible(
    PROBES,
    async (i) => {
      bench.expectStatus(
        await gateway.send('POST', `/v1/polls/${pollId}/votes`, {
          source: `probe-${label}`,
          seq: i,
          region: 'jp',
          userId: `probe-${label}-${i}`,
          optionId: 'a',
        }),
        202,
        'probe POST',
      );
      return ++counted;
    },
    async (expected) => {
      const reply = await gateway.get(`/v1/polls/${pollId}/results`);
      return reply.status === 200 && ((JSON.parse(reply.body) as Result).regions.jp?.votes ?? 0) >= expected;
    },
  );
}

/** Background ballots of fresh jp voters in bench-poll: straight to jp's topic, or one POST each through the gateway. */
function ballotLoad(stack: TestStack, producer: TypedProducer, gateway: bench.HttpClient) {
  let n = 0;
  const next = () => defineBallot('bench-poll', 'jp', `load-${n}`, n, OPTIONS[n++ % OPTIONS.length]!, 'bench-load');
  if (LOAD_VIA === 'batch') {
    // as a site's backend sends the votes of the last 20 ms: one request, each ballot an item of it
    return async (count: number) => {
      const items = Array.from({ length: count }, () => {
        const { pollId, source, seq, region, userId, optionId } = next();
        return { pollId, source, seq, region, userId, optionId };
      });
      const reply = await gateway.send('POST', '/v1/polls/votes/batch', { items });
      return reply.status === 200 ? (JSON.parse(reply.body) as { accepted: number }).accepted : 0;
    };
  }
  if (LOAD_VIA === 'gateway') {
    return async (count: number) => {
      const replies = await Promise.all(
        Array.from({ length: count }, () => {
          const { source, seq, region, userId, optionId } = next();
          return gateway.send('POST', '/v1/polls/bench-poll/votes', { source, seq, region, userId, optionId });
        }),
      );
      return replies.filter((r) => r.status === 202).length;
    };
  }
  const codec = topicCodec(
    createSchemaRegistry(stack.registryUrl),
    topics.ballots('jp'),
    REGIONAL_TOPICS.ballots.valueSchema,
  );
  return async (count: number) => {
    await producer.sendAll(
      codec,
      Array.from({ length: count }, next).map((b) => ({ key: `${b.pollId}/${b.userId}`, value: b })),
    );
    return count;
  };
}

/** 3. POST → visible on jp through the gateway, idle and under half jp's measured rate. */
async function measureWriteToVisible(
  stack: TestStack,
  services: bench.BenchServices,
  producer: TypedProducer,
  jp: ServiceProcess,
  jpRate: number,
) {
  const gatewayProcess = await services.start('ingest-gateway', {
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey]),
    RATE_LIMIT_PER_SECOND: '1000000',
    ADDRESS_RATE_LIMIT_PER_SECOND: '1000000',
    CONNECTIONS_PER_ADDRESS: '100000',
    VOTE_REGIONS: DEFAULT_REGIONS.join(','),
    VOTE_BALLOTS_TOPIC_TEMPLATE: topics.ballotsTemplate,
    POLL_DEFINITIONS_TOPIC: topics.polls,
    VOTE_RESULTS_URL: jp.url,
  });
  const gateway = bench.httpClient(gatewayProcess.url, apiKey.key);
  try {
    for (const label of ['idle', 'loaded']) await definePoll(stack, producer, `probe-poll-${label}`, [jp.url]);
    await bench.measureWriteToVisible(out.note, (label) => probeVotes(gateway, `probe-poll-${label}`, label), {
      halfRate: Math.round(jpRate / 2),
      send: ballotLoad(stack, producer, gateway),
      maxInFlight: LOAD_VIA === 'gateway' ? 8 : 64,
      what: `ballots, ${LOAD_WHAT}`,
      caughtUp: () => bench.waitForDrain(bench.benchKafka(stack), groupOf('jp'), [topics.ballots('jp')]),
      serviceUrl: jp.url,
    });
  } finally {
    gateway.close();
  }
}

/** Defines a poll over the four regions (weight 1 each) and waits until every region in `servedBy` serves a result. */
async function definePoll(stack: TestStack, producer: TypedProducer, pollId: string, servedBy: string[]) {
  const codec = topicCodec(createSchemaRegistry(stack.registryUrl), topics.polls, TOPICS.pollDefinitions.valueSchema);
  const definition: PollDefinition = {
    source: 'bench',
    seq: 0,
    pollId,
    options: OPTIONS,
    regionWeights: Object.fromEntries(DEFAULT_REGIONS.map((r) => [r, 1])),
    definedAtMs: Date.now(),
  };
  await producer.send(codec, { key: pollId, value: definition });
  for (const url of servedBy) while (!(await resultAt(url, pollId))) await bench.sleep(50);
}

async function measure(stack: TestStack, services: bench.BenchServices, producer: TypedProducer) {
  await services.start('vote-merger', environment('merger'));
  const regions = new Map<string, ServiceProcess>();
  for (const r of DEFAULT_REGIONS) regions.set(r, await services.start('vote-merger', environment('region', r)));
  await definePoll(stack, producer, 'bench-poll', [regions.get('kr')!.url]);
  const jpRate = await measureRegionRate(stack, services, producer, regions);
  await measureVoteToWorld(stack, producer, regions.get('kr')!);
  await measureWriteToVisible(stack, services, producer, regions.get('jp')!, jpRate);
}

async function main() {
  const stack = await bench.localStack();
  console.log(`votes benchmark ${run} (this machine: every component shares its 2 cores)`);
  await createTopicsWithSchemas(stack, [
    { name: topics.polls, partitions: 3, schema: TOPICS.pollDefinitions.valueSchema },
    { name: topics.results, partitions: 3, schema: TOPICS.voteResults.valueSchema },
    ...DEFAULT_REGIONS.flatMap((r) => [
      { name: topics.ballots(r), partitions: 6, schema: REGIONAL_TOPICS.ballots.valueSchema },
      { name: topics.snapshots(r), partitions: 3, schema: REGIONAL_TOPICS.snapshots.valueSchema },
    ]),
  ]);
  const services = bench.benchServices(stack);
  const kafka = bench.benchKafka(stack);
  const producer = new TypedProducer(kafka, { lingerMs: 5 });
  await producer.connect();
  try {
    await measure(stack, services, producer);
  } finally {
    await producer.disconnect();
    await services.stopAll();
    await bench.cleanUp(stack, kafka, {
      topics: allTopics,
      groups: [...DEFAULT_REGIONS, 'merger'].map(groupOf),
      schemas: [...DEFAULT_REGIONS, 'merger'].map(schemaOf),
    });
  }
  out.printJson();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
