/**
 * Global votes end to end, as deployed: the gateway, a vote-merger per region and the merger at the hub, each
 * its own process. Clients define a poll, vote in their region and read the world result through the gateway
 * only; every region serves the same result; the merger killed mid-way loses nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Ballot } from '@tally/schemas';
import {
  bruteForceRanking,
  createTopicsWithSchemas,
  freePort,
  stackEnvironment,
  startServiceProcess,
  uniqueName,
  type ServiceProcess,
} from '@tally/testkit';
import { DEFAULT_REGIONS, REGIONAL_TOPICS, REGION_PLACEHOLDER, TOPICS, regionalTopicName } from '@tally/contracts';
import { postStatus } from './fixtures/gateway.js';

const stack = inject('stack');
const run = uniqueName('e2e-votes');
const prefix = `test.${run}`;
const topics = {
  polls: `${prefix}.polls`,
  results: `${prefix}.results`,
  deadLetters: `${prefix}.dead-letters`,
  ballotsTemplate: `${prefix}.${REGION_PLACEHOLDER}.ballots`,
  snapshotsTemplate: `${prefix}.${REGION_PLACEHOLDER}.snapshots`,
};
const apiKey = { key: 'e2e-votes-key-0123456789abcdef', name: 'e2e-votes', scopes: ['polls:write', 'polls:admin'] };
const running: ServiceProcess[] = [];
const regionUrls: Record<string, string> = {};
let gateway: ServiceProcess;

const voteEnvironment = (role: 'region' | 'merger', region?: string): Record<string, string> => ({
  ...stackEnvironment(stack),
  VOTE_ROLE: role,
  ...(region ? { REGION: region } : {}),
  VOTE_REGIONS: DEFAULT_REGIONS.join(','),
  POLL_DEFINITIONS_TOPIC: topics.polls,
  VOTE_RESULTS_TOPIC: topics.results,
  VOTE_BALLOTS_TOPIC_TEMPLATE: topics.ballotsTemplate,
  VOTE_SNAPSHOTS_TOPIC_TEMPLATE: topics.snapshotsTemplate,
  DLQ_TOPIC: topics.deadLetters,
  CONSUMER_GROUP: `${run}.${region ?? 'merger'}`,
  DB_SCHEMA: `${run.replace(/[^a-z0-9]/g, '_')}_${region ?? 'merger'}`,
  KAFKA_SESSION_TIMEOUT_MS: '8000',
});

async function startMerger(): Promise<ServiceProcess> {
  const merger = await startServiceProcess('vote-merger', voteEnvironment('merger'));
  running.push(merger);
  return merger;
}

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.polls, partitions: 2, schema: TOPICS.pollDefinitions.valueSchema },
    { name: topics.results, partitions: 2, schema: TOPICS.voteResults.valueSchema },
    { name: topics.deadLetters, partitions: 1, schema: TOPICS.deadLetters.valueSchema },
    ...DEFAULT_REGIONS.flatMap((r) => [
      {
        name: regionalTopicName(topics.ballotsTemplate, r),
        partitions: 4,
        schema: REGIONAL_TOPICS.ballots.valueSchema,
      },
      {
        name: regionalTopicName(topics.snapshotsTemplate, r),
        partitions: 2,
        schema: REGIONAL_TOPICS.snapshots.valueSchema,
      },
    ]),
  ]);
  await startMerger();
  for (const region of DEFAULT_REGIONS) {
    const port = await freePort();
    running.push(
      await startServiceProcess('vote-merger', { ...voteEnvironment('region', region), PORT: String(port) }),
    );
    regionUrls[region] = `http://127.0.0.1:${port}`;
  }
  gateway = await startServiceProcess('ingest-gateway', {
    ...stackEnvironment(stack),
    TALLY_ENV: 'test',
    API_KEYS: JSON.stringify([apiKey]),
    VOTE_REGIONS: DEFAULT_REGIONS.join(','),
    POLL_DEFINITIONS_TOPIC: topics.polls,
    VOTE_BALLOTS_TOPIC_TEMPLATE: topics.ballotsTemplate,
    // this gateway serves region kr: its results come from kr's copy
    VOTE_RESULTS_URL: regionUrls.kr!,
  });
  running.push(gateway);
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop('SIGTERM')));
});

interface ResultView {
  version: number;
  global: { optionId: string; score: number; rank: number }[];
  regions: Record<string, { votes: number; counts: Record<string, number> }>;
}

async function results(base: string): Promise<{ status: number; body: ResultView }> {
  const response = await fetch(`${base}/v1/polls/anthem/results`);
  return { status: response.status, body: (await response.json()) as ResultView };
}

const options = ['north', 'south', 'east', 'west'];
const weights = { kr: 1, jp: 1, tw: 2, na: 1 };
const sent: Record<string, Ballot[]> = { kr: [], jp: [], tw: [], na: [] };
let seq = 0;

/** Votes through the gateway: `count` new voters of `region`, favourite first; every 7th also tries a second vote. */
async function vote(region: string, from: number, count: number, favourite: string): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const optionId = i % 2 === 0 ? favourite : options[i % options.length]!;
    const body = { source: `app-${region}`, seq: seq++, region, userId: `${region}-${i}`, optionId };
    expect(await postStatus(gateway.url, apiKey.key, '/v1/polls/anthem/votes', body)).toBe(202);
    sent[region]!.push({ ...body, pollId: 'anthem', castAtMs: 0 });
    if (i % 7 === 0) {
      // a retry of the same write, then a second vote: neither counts
      expect(await postStatus(gateway.url, apiKey.key, '/v1/polls/anthem/votes', body)).toBe(202);
      const second = { ...body, seq: seq++, optionId: options[(i + 1) % options.length]! };
      expect(await postStatus(gateway.url, apiKey.key, '/v1/polls/anthem/votes', second)).toBe(202);
      sent[region]!.push({ ...second, pollId: 'anthem', castAtMs: 0 });
    }
  }
}

const counted = (region: string) => new Set(sent[region]!.map((b) => b.userId)).size;

async function worldCountsEverything(base: string): Promise<boolean> {
  const { status, body } = await results(base);
  return status === 200 && DEFAULT_REGIONS.every((r) => body.regions[r]?.votes === counted(r));
}

describe('global votes through the gateway', () => {
  it('define, vote in four regions, read the world ranking from every region; the merger killed mid-way loses nothing', async () => {
    const put = await fetch(`${gateway.url}/v1/polls/anthem`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${apiKey.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        options,
        regions: Object.fromEntries(Object.entries(weights).map(([r, weight]) => [r, { weight }])),
      }),
    });
    expect(put.status).toBe(202);
    // the definition has reached the hub and come back: the region serving this gateway answers
    await expect.poll(async () => (await results(gateway.url)).status, { timeout: 30_000 }).toBe(200);
    const first = (await results(gateway.url)).body;
    expect(first.global.every((g) => g.score === 0)).toBe(true);

    await vote('kr', 0, 20, 'north');
    await vote('jp', 0, 200, 'south');
    await vote('tw', 0, 40, 'east');
    await vote('na', 0, 80, 'west');
    await expect.poll(() => worldCountsEverything(gateway.url), { timeout: 60_000, interval: 100 }).toBe(true);

    const merger = running[0]!;
    await merger.stop('SIGKILL');
    await vote('kr', 20, 20, 'north');
    await vote('na', 80, 40, 'south');
    await startMerger();
    await expect.poll(() => worldCountsEverything(gateway.url), { timeout: 60_000, interval: 100 }).toBe(true);

    const expected = bruteForceRanking(options, weights, sent);
    const world = (await results(gateway.url)).body;
    expect(world.global.map((g) => g.optionId)).toEqual(expected.ranking.map((r) => r.optionId));
    world.global.forEach((g, i) => expect(g.score).toBeCloseTo(expected.ranking[i]!.score, 12));
    for (const r of DEFAULT_REGIONS) expect(world.regions[r]!.counts).toEqual(expected.counts[r]);
    expect(world.version).toBeGreaterThan(first.version);

    // every region serves the same result, as the one its gateway routes to
    for (const region of DEFAULT_REGIONS)
      await expect
        .poll(async () => (await results(regionUrls[region]!)).body.version, { timeout: 30_000 })
        .toBe(world.version);
  });
});
