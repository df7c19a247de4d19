/**
 * The merger under random delivery orders (issue 17). The merger is modelled in memory exactly as
 * merge-results.ts drives the domain: a batch of definitions keeps `newestPerPoll` and replaces a
 * stored definition only if (definedAtMs, seq) is higher; a batch of snapshots keeps, per (poll, region), the
 * newest of the batch by `isNewerSnapshot` and replaces a stored one only if its version is higher; after
 * either, the touched polls are ranked again with `rankWorld` and a result gets `nextResultVersion` only when
 * its `fingerprint` changed.
 *
 * Snapshots and definitions travel on their own topics, through MirrorMaker (at least once) from regions that
 * cannot see each other, so nothing orders them: any permutation of every record, any repeats, in batches of
 * any size, with a clock that may stand still or step back. Whatever the order:
 * - the stored definition of a poll is its newest by (definedAtMs, seq), and each region's snapshot its
 *   highest version (a region's counts only grow, so its snapshots are a chain and a version names one);
 * - the final result is `rankWorld` of those two, and delivering everything once more changes nothing;
 * - the versions of the results published for a poll only grow.
 */
import fc from 'fast-check';
import type { PollDefinition, RegionalTally } from '@tally/schemas';
import { describe, expect, it } from 'vitest';
import { newestPerPoll } from './poll-definitions.js';
import {
  fingerprint,
  isNewerSnapshot,
  nextResultVersion,
  rankWorld,
  type RegionSnapshot,
  type WorldRanking,
} from './world-ranking.js';

const OPTIONS = ['a', 'b', 'c', 'd'];
/** Counts a region may still hold for an option a newer definition dropped. */
const DROPPED = 'dropped';
const REGIONS = ['kr', 'jp', 'tw', 'na'];

type Delivered = { t: 'definition'; definition: PollDefinition } | { t: 'snapshot'; snapshot: RegionalTally };

/** The merger's tables, in memory, driven batch by batch as MergerStore drives Postgres. */
class MergerModel {
  readonly polls = new Map<string, PollDefinition>();
  readonly snapshots = new Map<string, Map<string, RegionSnapshot>>();
  readonly results = new Map<string, { version: number; fingerprint: string; world: WorldRanking }>();
  /** Every result published, in order. */
  readonly published: { pollId: string; version: number }[] = [];

  constructor(private readonly now: () => number) {}

  applyDefinitions(batch: PollDefinition[]): void {
    const newest = newestPerPoll(batch);
    for (const d of newest) {
      const current = this.polls.get(d.pollId);
      // WHERE (polls.defined_at_ms, polls.definition_seq) < (EXCLUDED.defined_at_ms, EXCLUDED.definition_seq)
      if (
        !current ||
        current.definedAtMs < d.definedAtMs ||
        (current.definedAtMs === d.definedAtMs && current.seq < d.seq)
      )
        this.polls.set(d.pollId, d);
    }
    this.recompute(newest.map((d) => d.pollId));
  }

  applySnapshots(batch: RegionalTally[]): void {
    const newest = new Map<string, RegionalTally>();
    for (const s of batch) {
      const key = `${s.pollId}\u0000${s.region}`;
      if (isNewerSnapshot(s, newest.get(key))) newest.set(key, s);
    }
    for (const s of newest.values()) {
      const regions = this.snapshots.get(s.pollId) ?? new Map<string, RegionSnapshot>();
      const current = regions.get(s.region);
      // WHERE snapshots.version < EXCLUDED.version
      if (!current || current.version < s.version)
        regions.set(s.region, { version: s.version, counts: s.counts, takenAtMs: s.takenAtMs });
      this.snapshots.set(s.pollId, regions);
    }
    this.recompute([...newest.values()].map((s) => s.pollId));
  }

  private recompute(pollIds: string[]): void {
    for (const pollId of new Set(pollIds)) {
      const rules = this.polls.get(pollId);
      if (!rules) continue;
      const world = rankWorld(rules, this.snapshots.get(pollId) ?? new Map());
      const print = fingerprint(world);
      const before = this.results.get(pollId);
      if (before && before.fingerprint === print) continue;
      const version = nextResultVersion(before?.version, this.now());
      this.results.set(pollId, { version, fingerprint: print, world });
      this.published.push({ pollId, version });
    }
  }
}

/** Runs of one kind of record, cut further where `cuts` says, are one batch each. */
function deliver(model: MergerModel, stream: Delivered[], cuts: readonly boolean[]): void {
  let run: Delivered[] = [];
  const flush = () => {
    if (run.length === 0) return;
    if (run[0]!.t === 'definition')
      model.applyDefinitions(run.map((r) => (r as { definition: PollDefinition }).definition));
    else model.applySnapshots(run.map((r) => (r as { snapshot: RegionalTally }).snapshot));
    run = [];
  };
  stream.forEach((record, i) => {
    if (run.length > 0 && run[0]!.t !== record.t) flush();
    run.push(record);
    if (cuts.length > 0 && cuts[i % cuts.length]) flush();
  });
  flush();
}

interface PollSpec {
  /** Each a definition: its options, weights, and when it was made (few values, so milliseconds tie). */
  definitions: { options: string[]; weights: Record<string, number>; definedAtMs: number }[];
  /** Per region: the ballots counted between one snapshot and the next (an option each). */
  chains: string[][][];
}

interface Scenario {
  polls: PollSpec[];
  /** Random keys that order every record, copies included. */
  mix: number[];
  /** Copies of records: which one (modulo the count). */
  copies: number[];
  cuts: boolean[];
  /** Steps of the merger's clock: it may stand still or step back. */
  clock: number[];
}

const weightsArb = fc
  .subarray(REGIONS, { minLength: 1 })
  .chain((regions) =>
    fc
      .tuple(...regions.map(() => fc.integer({ min: 1, max: 5 })))
      .map((ws) => Object.fromEntries(regions.map((r, i) => [r, ws[i]!]))),
  );

const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  polls: fc.array(
    fc.record({
      definitions: fc.array(
        fc.record({
          options: fc.subarray(OPTIONS, { minLength: 1, maxLength: 3 }),
          weights: weightsArb,
          definedAtMs: fc.integer({ min: 1_000, max: 1_002 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      chains: fc.array(
        fc.array(fc.array(fc.constantFrom(...OPTIONS, DROPPED), { minLength: 1, maxLength: 4 }), { maxLength: 4 }),
        { minLength: REGIONS.length, maxLength: REGIONS.length },
      ),
    }),
    { minLength: 1, maxLength: 2 },
  ),
  mix: fc.array(fc.nat(1000), { minLength: 64, maxLength: 64 }),
  copies: fc.array(fc.nat(), { maxLength: 16, size: 'max' }),
  cuts: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }),
  clock: fc.array(fc.integer({ min: -3, max: 3 }), { minLength: 1, maxLength: 8 }),
});

/** Every definition and snapshot of the scenario (seqs unique, so two definitions never tie on (definedAtMs, seq)). */
function recordsOf(scenario: Scenario): Delivered[] {
  let seq = 0;
  return scenario.polls.flatMap((poll, p) => {
    const pollId = `poll${p}`;
    const definitions: Delivered[] = poll.definitions.map((d) => ({
      t: 'definition',
      definition: {
        source: 'gateway:admin',
        seq: seq++,
        pollId,
        options: d.options,
        regionWeights: d.weights,
        definedAtMs: d.definedAtMs,
      },
    }));
    const snapshots: Delivered[] = poll.chains.flatMap((chain, r) => {
      const counts: Record<string, number> = {};
      return chain.map((ballots, i) => {
        for (const option of ballots) counts[option] = (counts[option] ?? 0) + 1;
        const votes = Object.values(counts).reduce((sum, n) => sum + n, 0);
        return {
          t: 'snapshot',
          snapshot: {
            region: REGIONS[r]!,
            pollId,
            version: votes,
            votes,
            counts: { ...counts },
            takenAtMs: 10_000 * (i + 1) + r,
          },
        } as const;
      });
    });
    return [...definitions, ...snapshots];
  });
}

/** The records with copies, in the order the random keys give. */
function streamOf(scenario: Scenario, records: Delivered[]): Delivered[] {
  if (records.length === 0) return [];
  const withCopies = [...records, ...scenario.copies.map((c) => records[c % records.length]!)];
  return withCopies
    .map((record, i) => ({ record, key: scenario.mix[i % scenario.mix.length]!, i }))
    .sort((x, y) => x.key - y.key || x.i - y.i)
    .map((x) => x.record);
}

const clockOf = (steps: number[]) => {
  let now = 5_000;
  let i = 0;
  return () => (now += steps[i++ % steps.length]!);
};

/** What the rule says the result is: the newest definition over each region's highest snapshot. */
function expectedWorld(
  scenario: Scenario,
  records: Delivered[],
  pollId: string,
): { definition: PollDefinition; world: WorldRanking } {
  const definitions = records.flatMap((r) =>
    r.t === 'definition' && r.definition.pollId === pollId ? [r.definition] : [],
  );
  const definition = definitions.reduce((a, b) =>
    b.definedAtMs > a.definedAtMs || (b.definedAtMs === a.definedAtMs && b.seq > a.seq) ? b : a,
  );
  const snapshots = new Map<string, RegionSnapshot>();
  for (const r of records) {
    if (r.t !== 'snapshot' || r.snapshot.pollId !== pollId) continue;
    const s = r.snapshot;
    if ((snapshots.get(s.region)?.version ?? -1) < s.version)
      snapshots.set(s.region, { version: s.version, counts: s.counts, takenAtMs: s.takenAtMs });
  }
  return { definition, world: rankWorld(definition, snapshots) };
}

describe('the merger under any order of snapshots and definitions', () => {
  it('any permutation and repetition, in batches of any size: the newest definition over the newest snapshots; a second delivery changes nothing', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.array(fc.nat(1000), { minLength: 64, maxLength: 64 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
        (scenario, mixAgain, cutsAgain) => {
          const records = recordsOf(scenario);
          const model = new MergerModel(clockOf(scenario.clock));
          deliver(model, streamOf(scenario, records), scenario.cuts);
          for (let p = 0; p < scenario.polls.length; p++) {
            const pollId = `poll${p}`;
            const { definition, world } = expectedWorld(scenario, records, pollId);
            expect(model.polls.get(pollId)).toEqual(definition);
            expect(model.results.get(pollId)?.world).toEqual(world);
            expect(model.results.get(pollId)?.fingerprint).toBe(fingerprint(world));
          }
          // the versions published for a poll only grow, though the clock stood still or stepped back
          for (let p = 0; p < scenario.polls.length; p++) {
            const versions = model.published.filter((r) => r.pollId === `poll${p}`).map((r) => r.version);
            for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]!);
          }
          // a replay of everything (stale and repeated, all of it), in another order and other batches: no change
          const before = model.published.length;
          const results = structuredClone([...model.results]);
          deliver(model, streamOf({ ...scenario, mix: mixAgain }, records), cutsAgain);
          expect(model.published.length).toBe(before);
          expect([...model.results]).toEqual(results);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the scenarios drawn exercise the rule: stale snapshots, superseded definitions, dropped options, ties within a millisecond', () => {
    const sample = fc.sample(scenarioArb, { numRuns: 200, seed: 17 });
    const seen = { staleSnapshots: 0, staleDefinitions: 0, droppedCounts: 0, sameMillisecond: 0 };
    for (const scenario of sample) {
      const stream = streamOf(scenario, recordsOf(scenario));
      const newest = new Map<string, number>();
      const newestDefinition = new Map<string, PollDefinition>();
      for (const r of stream) {
        if (r.t === 'snapshot') {
          const key = `${r.snapshot.pollId}/${r.snapshot.region}`;
          if ((newest.get(key) ?? -1) >= r.snapshot.version) seen.staleSnapshots++;
          else newest.set(key, r.snapshot.version);
          if (r.snapshot.counts[DROPPED]) seen.droppedCounts++;
        } else {
          const current = newestDefinition.get(r.definition.pollId);
          if (current && current.definedAtMs === r.definition.definedAtMs && current.seq !== r.definition.seq)
            seen.sameMillisecond++;
          if (current && newestPerPoll([current, r.definition])[0] === current && current !== r.definition)
            seen.staleDefinitions++;
          else newestDefinition.set(r.definition.pollId, r.definition);
        }
      }
    }
    for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(20);
  });
});
