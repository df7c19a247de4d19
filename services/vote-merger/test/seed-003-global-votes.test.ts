/**
 * Seed 003: regions (JP, TW, KR, NA) whose networks cannot reach each other; each pushed its tallies out, a
 * Lambda normalised and summed them, the global result was pushed back into each region. Here each region
 * counts its own ballots, only snapshots leave it, the merger normalises and weights, and every region serves
 * the versioned global result.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Ballot } from '@tally/schemas';
import { bruteForceRanking } from '@tally/testkit';
import { REGIONS, getJson, votesWorld } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof votesWorld>>;

const options = ['aria', 'blue', 'coda', 'dawn', 'echo', 'fern'];
const weights = { kr: 1, jp: 1, tw: 2, na: 0.5 };
/** Very different sizes, and tastes: jp alone would crown blue by raw counts. */
const voters = { kr: 100, jp: 100_000, tw: 1_000, na: 10_000 };
const tastes: Record<string, number[]> = {
  kr: [50, 10, 15, 10, 10, 5],
  jp: [10, 45, 15, 12, 10, 8],
  tw: [40, 5, 20, 15, 12, 8],
  na: [30, 20, 25, 5, 12, 8],
};

/** A deterministic pseudo-random stream (LCG), so a failure can be reproduced. */
function random(seed: number) {
  let s = seed;
  return () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

function pick(taste: number[], r: number): string {
  const total = taste.reduce((a, b) => a + b, 0);
  let x = r * total;
  for (let i = 0; i < taste.length; i++) if ((x -= taste[i]!) < 0) return options[i]!;
  return options[options.length - 1]!;
}

/** Each region's ballots: one per voter, plus second votes (must lose), retries (same write) and bad options. */
function regionBallots(region: string, pollId: string): Ballot[] {
  const next = random(region.charCodeAt(0) * 31 + region.charCodeAt(1));
  const ballots: Ballot[] = [];
  for (let v = 0; v < voters[region as keyof typeof voters]; v++) {
    const userId = `${region}-user-${v}`;
    const r = next();
    if (r < 0.02) ballots.push(world.ballot(region, pollId, userId, 'not-an-option'));
    const first = world.ballot(region, pollId, userId, pick(tastes[region]!, next()));
    ballots.push(first);
    if (r < 0.1) ballots.push(world.ballot(region, pollId, userId, pick(tastes[region]!, next())));
    if (r > 0.95) ballots.push(first);
  }
  return ballots;
}

const pollId = 'best-song-2026';
const sent: Record<string, Ballot[]> = {};
const ports: Record<string, number> = {};

beforeAll(async () => {
  world = await votesWorld(stack, 'seed-003');
  await world.startMerger();
  for (const region of REGIONS) ports[region] = (await world.startRegion(region)).port;
  await world.define(pollId, options, weights);
  // the definition reaches every region before its ballots, so a bad option is refused rather than pending
  await world.caughtUp(...REGIONS.map(world.regionGroup));
  for (const region of REGIONS) {
    sent[region] = regionBallots(region, pollId);
    await world.sendBallots(region, sent[region]);
  }
  // ballots → snapshots → merger → results → regions
  await world.caughtUp(...REGIONS.map(world.regionGroup));
  await world.caughtUp(world.mergerGroup());
  await world.caughtUp(...REGIONS.map(world.regionGroup));
}, 300_000);

afterAll(async () => {
  await world?.close();
});

describe('seed 003: global votes across isolated regions', () => {
  it('four regions of very different sizes give the ranking a brute-force normalisation gives', async () => {
    const expected = bruteForceRanking(options, weights, sent);
    const result = (
      await world.pool.query(`SELECT result FROM ${world.schemaOf('merger')}.results WHERE poll_id = $1`, [pollId])
    ).rows[0].result;
    expect(result.ranking.map((r: { optionId: string }) => r.optionId)).toEqual(
      expected.ranking.map((r) => r.optionId),
    );
    result.ranking.forEach((r: { score: number; rank: number }, i: number) => {
      expect(r.score).toBeCloseTo(expected.ranking[i]!.score, 12);
      expect(r.rank).toBe(i + 1);
    });
    for (const region of REGIONS) expect(result.regions[region].counts).toEqual(expected.counts[region]);
    // summing raw counts, as if regions were one, would let the biggest region decide
    const raw = options
      .map((o) => ({ o, n: REGIONS.reduce((a, r) => a + expected.counts[r]![o]!, 0) }))
      .sort((a, b) => b.n - a.n);
    expect(raw[0]!.o).toBe('blue');
    expect(expected.ranking[0]!.optionId).toBe('aria');
  });

  it('every region serves the same, newest global result', async () => {
    const merged = (
      await world.pool.query(`SELECT version FROM ${world.schemaOf('merger')}.results WHERE poll_id = $1`, [pollId])
    ).rows[0].version;
    for (const region of REGIONS) {
      const { rows } = await world.pool.query(
        `SELECT version, result FROM ${world.schemaOf(region)}.global_results WHERE poll_id = $1`,
        [pollId],
      );
      expect(rows[0].version).toBe(merged);
    }
  });

  it('a region counts only its own ballots, one per user, and refuses bad options to the dead letters', async () => {
    for (const region of REGIONS) {
      const { rows } = await world.pool.query(
        `SELECT count(*)::int AS n FROM ${world.schemaOf(region)}.ballots WHERE poll_id = $1 AND status = 'counted'`,
        [pollId],
      );
      expect(rows[0].n).toBe(voters[region as keyof typeof voters]);
    }
    const refused = Object.values(sent)
      .flat()
      .filter((b) => b.optionId === 'not-an-option').length;
    const letters = await world.deadLetters();
    expect(refused).toBeGreaterThan(0);
    expect(letters).toHaveLength(refused);
    expect(letters.every((l) => /has no option not-an-option/.test(l.reason))).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.jp}/metrics`)).text();
    const outcome = (name: string) =>
      Number(new RegExp(`^tally_votes_ballots_total\\{[^}]*outcome="${name}"[^}]*\\} (\\d+)`, 'm').exec(metrics)?.[1]);
    expect(outcome('counted')).toBe(voters.jp);
    expect(outcome('refused')).toBe(sent.jp!.filter((b) => b.optionId === 'not-an-option').length);
    expect(outcome('superseded')).toBe(sent.jp!.length - voters.jp - outcome('refused'));
  });

  it('replay changes nothing: fresh groups read every topic again from the start', async () => {
    const before = (
      await world.pool.query(
        `SELECT version, fingerprint FROM ${world.schemaOf('merger')}.results WHERE poll_id = $1`,
        [pollId],
      )
    ).rows[0];
    const replays = await Promise.all(
      REGIONS.map((r) => world.startRegion(r, { CONSUMER_GROUP: `${world.run}.${r}.replay` })),
    );
    const merger = await world.startMerger({ CONSUMER_GROUP: `${world.run}.merger.replay` });
    await world.caughtUp(...REGIONS.map((r) => ({ ...world.regionGroup(r), group: `${world.run}.${r}.replay` })), {
      ...world.mergerGroup(),
      group: `${world.run}.merger.replay`,
    });
    const after = (
      await world.pool.query(
        `SELECT version, fingerprint FROM ${world.schemaOf('merger')}.results WHERE poll_id = $1`,
        [pollId],
      )
    ).rows[0];
    expect(after).toEqual(before);
    for (const region of REGIONS) {
      const { rows } = await world.pool.query(
        `SELECT count(*)::int AS n FROM ${world.schemaOf(region)}.ballots WHERE poll_id = $1 AND status = 'counted'`,
        [pollId],
      );
      expect(rows[0].n).toBe(voters[region as keyof typeof voters]);
    }
    await Promise.all([...replays, merger].map((s) => s.close()));
  });

  it('each region answers GET /v1/polls/{id}/results in the API shape; an unknown poll is 404', async () => {
    const expected = bruteForceRanking(options, weights, sent);
    for (const region of REGIONS) {
      const base = `http://127.0.0.1:${ports[region]}`;
      const { status, body } = await getJson<{
        pollId: string;
        version: number;
        global: { optionId: string; score: number; rank: number }[];
        regions: Record<string, { votes: number; counts: Record<string, number> }>;
        asOf: number;
      }>(`${base}/v1/polls/${pollId}/results`);
      expect(status).toBe(200);
      expect(body.pollId).toBe(pollId);
      expect(body.global.map((g) => g.optionId)).toEqual(expected.ranking.map((r) => r.optionId));
      expect(body.regions.jp!.votes).toBe(voters.jp);
      expect(body.asOf).toBeGreaterThan(0);
      expect((await getJson(`${base}/v1/polls/no-such-poll/results`)).status).toBe(404);
    }
  });
});
