/**
 * Global votes benchmark on this machine (not a test: it prints numbers). Four regions and the merger, each its
 * own process (vote-merger in its two roles), on fresh topics and schemas:
 *   1. region throughput: one region drains a backlog of ballots (10% of voters vote twice) into its counts;
 *   2. vote → world: one ballot at a time produced to region kr, timed until kr serves a global result that
 *      counts it (region → snapshot → merger → result → back to the region), p50 / p99.
 * Usage: pnpm bench:votes [--ballots 200000] [--probes 100]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '@tally/observability';
import { createSchemaRegistry, topicCodec, type Ballot, type PollDefinition } from '@tally/schemas';
import { stackEndpoints, stackUp } from '@tally/stack';
import { createPool } from '@tally/storage';
import { TypedProducer, consumerLag, createKafka } from '@tally/streaming';
import { createTopicsWithSchemas, stackEnvironment, startServiceProcess, type ServiceProcess } from '@tally/testkit';

const { values: args } = parseArgs({ options: { ballots: { type: 'string', default: '200000' }, probes: { type: 'string', default: '100' } } });
const BALLOTS = Number(args.ballots);
const PROBES = Number(args.probes);
const REGIONS = ['kr', 'jp', 'tw', 'na'];
const OPTIONS = ['a', 'b', 'c', 'd', 'e'];
const run = `bench_votes_${Date.now().toString(36)}`;
const prefix = `bench.${run}`;
const topics = { polls: `${prefix}.polls`, results: `${prefix}.results`, ballots: (r: string) => `${prefix}.${r}.ballots`, snapshots: (r: string) => `${prefix}.${r}.snapshots` };
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ms = (n: number) => +n.toFixed(1);
const results: Record<string, string | number> = { run, ballots: BALLOTS };
const note = (name: string, value: string | number) => {
  results[name] = value;
  console.log(`  ${name.padEnd(62)} ${value}`);
};

async function main() {
  await stackUp(() => undefined);
  const endpoints = stackEndpoints();
  const stack = { brokers: endpoints.brokers, registryUrl: endpoints.registryUrl, redisUrl: endpoints.redisUrl, databaseUrl: endpoints.databaseUrl, origin: 'local stack (already running)' as const };
  console.log(`votes benchmark ${run} (this machine: every component shares its 2 cores)`);
  await createTopicsWithSchemas(stack, [
    { name: topics.polls, partitions: 3, schema: 'tally.votes.PollDefinition' },
    { name: topics.results, partitions: 3, schema: 'tally.votes.GlobalResult' },
    ...REGIONS.flatMap((r) => [
      { name: topics.ballots(r), partitions: 6, schema: 'tally.votes.Ballot' as const },
      { name: topics.snapshots(r), partitions: 3, schema: 'tally.votes.RegionalTally' as const },
    ]),
  ]);
  const kafka = createKafka({ brokers: stack.brokers, clientId: 'bench', logger: createLogger('bench', 'warn') });
  const producer = new TypedProducer(kafka, { lingerMs: 5 });
  await producer.connect();
  const registry = createSchemaRegistry(stack.registryUrl);
  const environment = (role: string, region?: string) => ({
    ...stackEnvironment(stack),
    LOG_LEVEL: 'warn',
    VOTE_ROLE: role,
    ...(region ? { REGION: region } : {}),
    POLL_DEFINITIONS_TOPIC: topics.polls,
    VOTE_RESULTS_TOPIC: topics.results,
    VOTE_BALLOTS_TOPIC_TEMPLATE: `${prefix}.{region}.ballots`,
    VOTE_SNAPSHOTS_TOPIC_TEMPLATE: `${prefix}.{region}.snapshots`,
    CONSUMER_GROUP: `${run}.${region ?? 'merger'}`,
    DB_SCHEMA: `${run}_${region ?? 'merger'}`,
  });
  const started: ServiceProcess[] = [];
  const merger = await startServiceProcess('vote-merger', environment('merger'));
  started.push(merger);
  const regions = new Map<string, ServiceProcess>();
  for (const r of REGIONS) {
    const service = await startServiceProcess('vote-merger', environment('region', r));
    regions.set(r, service);
    started.push(service);
  }
  const definition: PollDefinition = { source: 'bench', seq: 0, pollId: 'bench-poll', options: OPTIONS, regionWeights: Object.fromEntries(REGIONS.map((r) => [r, 1])), definedAtMs: Date.now() };
  await producer.send(topicCodec(registry, topics.polls, 'tally.votes.PollDefinition'), { key: 'bench-poll', value: definition });
  const kr = regions.get('kr')!;
  const krResult = async () => {
    const response = await fetch(`${kr.url}/v1/polls/bench-poll/results`);
    return response.ok ? ((await response.json()) as { regions: Record<string, { votes: number }> }) : undefined;
  };
  while (!(await krResult())) await new Promise((r) => setTimeout(r, 50));

  // 1. region throughput: jp drains a backlog (its counter stopped while the ballots are produced)
  const jp = regions.get('jp')!;
  await jp.stop('SIGTERM');
  const ballotCodec = topicCodec(registry, topics.ballots('jp'), 'tally.votes.Ballot');
  const ballots: Ballot[] = [];
  for (let i = 0; ballots.length < BALLOTS; i++) {
    const userId = `jp-${i}`;
    ballots.push({ source: 'bench', seq: ballots.length, pollId: 'bench-poll', region: 'jp', userId, optionId: OPTIONS[i % OPTIONS.length]!, castAtMs: Date.now() });
    if (i % 10 === 0 && ballots.length < BALLOTS) ballots.push({ ...ballots[ballots.length - 1]!, seq: ballots.length, optionId: 'a' });
  }
  const t0 = performance.now();
  for (let i = 0; i < ballots.length; i += 20_000) await producer.sendAll(ballotCodec, ballots.slice(i, i + 20_000).map((b) => ({ key: `${b.pollId}/${b.userId}`, value: b })));
  note('ballots produced to Kafka (client, acks=all), ballots/s', Math.round(ballots.length / ((performance.now() - t0) / 1000)));
  const admin = kafka.admin();
  await admin.connect();
  const t1 = performance.now();
  const jpAgain = await startServiceProcess('vote-merger', environment('region', 'jp'));
  started.push(jpAgain);
  while (!(await consumerLag(admin, `${run}.jp`, [topics.ballots('jp')])).every((p) => p.lag === 0)) await new Promise((r) => setTimeout(r, 50));
  note(`region jp: ballots/s counted (${ballots.length} backlog, incl. process start)`, Math.round(ballots.length / ((performance.now() - t1) / 1000)));
  const t2 = performance.now();
  const expectedJp = new Set(ballots.map((b) => b.userId)).size;
  while (((await krResult())?.regions.jp?.votes ?? 0) < expectedJp) await new Promise((r) => setTimeout(r, 20));
  note('then until region kr serves a world result with all of jp, ms', Math.round(performance.now() - t2));
  await admin.disconnect();

  // 2. one ballot at a time: until kr serves a world result that counts it
  const krCodec = topicCodec(registry, topics.ballots('kr'), 'tally.votes.Ballot');
  const times: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    const before = (await krResult())?.regions.kr?.votes ?? 0;
    const t = performance.now();
    await producer.send(krCodec, { key: `bench-poll/kr-${i}`, value: { source: 'bench-probe', seq: i, pollId: 'bench-poll', region: 'kr', userId: `kr-${i}`, optionId: 'b', castAtMs: Date.now() } });
    while (((await krResult())?.regions.kr?.votes ?? 0) <= before) await new Promise((r) => setTimeout(r, 2));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  note('vote → counted in the world result served by its region: p50 / p99 ms', `${ms(percentile(times, 50))} / ${ms(percentile(times, 99))}`);

  await producer.disconnect();
  await Promise.all(started.map((s) => s.stop('SIGTERM')));
  const pool = createPool(stack.databaseUrl);
  for (const r of [...REGIONS, 'merger']) await pool.query(`DROP SCHEMA IF EXISTS ${run}_${r} CASCADE`);
  await pool.end();
  const cleanup = kafka.admin();
  await cleanup.connect();
  await cleanup.deleteTopics({ topics: [topics.polls, topics.results, ...REGIONS.flatMap((r) => [topics.ballots(r), topics.snapshots(r)])] });
  await cleanup.disconnect();
  console.log(JSON.stringify(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
