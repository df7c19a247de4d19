/**
 * A region goes offline for a while (its counter down, or its link to the hub cut): its votes wait in its own
 * topic, the world result goes on with the region's last snapshot, and catches up when the region is back.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Ballot } from '@tally/schemas';
import { bruteForceRanking } from '@tally/testkit';
import { REGIONS, votesWorld } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof votesWorld>>;
const options = ['red', 'green', 'blue'];
const weights = { kr: 1, jp: 1, tw: 1, na: 1 };
const sent: Record<string, Ballot[]> = { kr: [], jp: [], tw: [], na: [] };

beforeAll(async () => {
  world = await votesWorld(stack, 'region-offline');
});

afterAll(async () => {
  await world?.close();
});

function round(region: string, from: number, count: number, favourite: string): Ballot[] {
  const ballots = Array.from({ length: count }, (_, i) =>
    world.ballot(region, 'colour', `${region}-${from + i}`, i % 3 === 0 ? favourite : options[i % options.length]!),
  );
  sent[region]!.push(...ballots);
  return ballots;
}

const mergedResult = async () =>
  (await world.pool.query(`SELECT result FROM ${world.schemaOf('merger')}.results WHERE poll_id = 'colour'`)).rows[0]
    .result;

describe('a region offline for a while, then back', () => {
  it('the global result goes on without it, then catches up', async () => {
    await world.startMerger();
    const regions = new Map(await Promise.all(REGIONS.map(async (r) => [r, await world.startRegion(r)] as const)));
    await world.define('colour', options, weights);
    await world.caughtUp(...REGIONS.map(world.regionGroup));
    for (const region of REGIONS) await world.sendBallots(region, round(region, 0, 300, 'red'));
    await world.caughtUp(...REGIONS.map(world.regionGroup));
    await world.caughtUp(world.mergerGroup());
    const before = await mergedResult();
    expect(before.regions.na.votes).toBe(300);

    // na goes dark; its voters go on voting (for blue), into na's own topic
    await regions.get('na')!.close();
    for (const region of REGIONS)
      await world.sendBallots(region, round(region, 300, 600, region === 'na' ? 'blue' : 'green'));
    const online = REGIONS.filter((r) => r !== 'na');
    await world.caughtUp(...online.map(world.regionGroup));
    await world.caughtUp(world.mergerGroup());
    const meanwhile = await mergedResult();
    expect(meanwhile.version).toBeGreaterThan(before.version);
    expect(meanwhile.regions.na).toEqual(before.regions.na);
    expect(meanwhile.regions.kr.votes).toBe(900);

    // na is back: it counts what waited and its snapshot reaches the merger
    await world.startRegion('na');
    await world.caughtUp(world.regionGroup('na'));
    await world.caughtUp(world.mergerGroup());
    const after = await mergedResult();
    expect(after.version).toBeGreaterThan(meanwhile.version);
    expect(after.regions.na.votes).toBe(900);
    const expected = bruteForceRanking(options, weights, sent);
    expect(after.ranking.map((r: { optionId: string }) => r.optionId)).toEqual(expected.ranking.map((r) => r.optionId));
    after.ranking.forEach((r: { score: number }, i: number) =>
      expect(r.score).toBeCloseTo(expected.ranking[i]!.score, 12),
    );
  });
});
