/**
 * Snapshots cross between networks by mirroring, and may arrive late, twice, or out of order. A stale one must
 * never move the global result backwards, and the version only grows.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RegionalTally } from '@tally/schemas';
import { votesWorld } from './fixtures/world.js';

const stack = inject('stack');
let world: Awaited<ReturnType<typeof votesWorld>>;

beforeAll(async () => {
  world = await votesWorld(stack, 'stale-snapshots');
  await world.startMerger();
});

afterAll(async () => {
  await world?.close();
});

const snapshot = (region: string, counts: Record<string, number>): RegionalTally => ({
  region,
  pollId: 'mascot',
  version: Object.values(counts).reduce((a, b) => a + b, 0),
  votes: Object.values(counts).reduce((a, b) => a + b, 0),
  counts,
  takenAtMs: Date.now(),
});

describe('stale and repeated snapshots', () => {
  it('never move the result backwards; the version only grows', async () => {
    await world.define('mascot', ['cat', 'dog'], { kr: 1, jp: 1 });
    const kr = [snapshot('kr', { cat: 1 }), snapshot('kr', { cat: 3, dog: 1 }), snapshot('kr', { cat: 5, dog: 3 })];
    const jp = [snapshot('jp', { dog: 10 }), snapshot('jp', { cat: 10, dog: 20 })];
    // newest first, then older ones, then the newest again, interleaved between regions
    await world.sendSnapshots('kr', [kr[2]!, kr[0]!]);
    await world.sendSnapshots('jp', [jp[1]!]);
    await world.sendSnapshots('kr', [kr[1]!, kr[2]!, kr[0]!]);
    await world.sendSnapshots('jp', [jp[0]!, jp[1]!, jp[0]!]);
    await world.caughtUp(world.mergerGroup());

    const published = (await world.publishedResults()).filter((r) => r.pollId === 'mascot');
    expect(published.length).toBeGreaterThan(0);
    for (let i = 1; i < published.length; i++) {
      expect(published[i]!.version).toBeGreaterThanOrEqual(published[i - 1]!.version);
      // a region's snapshot in the result never goes back to an older one
      for (const region of ['kr', 'jp'])
        expect(published[i]!.regions[region]!.snapshotVersion).toBeGreaterThanOrEqual(
          published[i - 1]!.regions[region]!.snapshotVersion,
        );
    }
    const last = published[published.length - 1]!;
    expect(last.regions.kr).toMatchObject({ votes: 8, counts: { cat: 5, dog: 3 }, snapshotVersion: 8 });
    expect(last.regions.jp).toMatchObject({ votes: 30, counts: { cat: 10, dog: 20 }, snapshotVersion: 30 });
    // cat: (5/8 + 10/30) / 2; dog: (3/8 + 20/30) / 2
    expect(last.ranking.map((r) => r.optionId)).toEqual(['dog', 'cat']);
    expect(last.ranking[1]!.score).toBeCloseTo((5 / 8 + 10 / 30) / 2, 12);

    // one version per change of the result at most (the definition, kr's newest, jp's newest; fewer when the
    // definition comes after the snapshots): stale and repeated snapshots add none
    const versions = [...new Set(published.map((r) => r.version))];
    expect(versions.length).toBeLessThanOrEqual(3);
  });

  it('a snapshot of another region on a region topic is refused to the dead letters', async () => {
    await world.sendSnapshots('kr', [snapshot('jp', { cat: 1000 })]);
    await world.caughtUp(world.mergerGroup());
    const letters = await world.deadLetters();
    expect(letters.some((l) => /snapshot of region jp on region kr's topic/.test(l.reason))).toBe(true);
    const last = (await world.publishedResults()).filter((r) => r.pollId === 'mascot').pop()!;
    expect(last.regions.jp!.votes).toBe(30);
  });
});
