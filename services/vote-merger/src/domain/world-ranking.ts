/**
 * The rule of the merger: how regional snapshots become one worldwide ranking (seed 003: regions of very
 * different sizes and tastes, so raw counts are not summed). Pure.
 *
 * - Each region's counts, on the poll's options only, become shares of that region's votes.
 * - An option's global score is the weighted mean of its shares over the regions that have votes:
 *   score(o) = Σ_r w_r · count_r(o) / votes_r  ÷  Σ_r w_r. A region without votes neither helps nor dilutes.
 * - Ranked by score, highest first; equal scores by optionId. Rank 1 is the top.
 * - A snapshot replaces a region's earlier one only if its version is higher: stale and repeated snapshots,
 *   in any order, change nothing.
 * - The result's version grows by at least one with every change, and never goes back: see `nextResultVersion`.
 */
import type { GlobalResult, MergedRegion, RankedOption } from '@tally/schemas';

// the result's parts are the GlobalResult schema's own types: what is ranked here is what is published
export interface PollRules {
  options: readonly string[];
  regionWeights: Readonly<Record<string, number>>;
}

export interface RegionSnapshot {
  version: number;
  counts: Readonly<Record<string, number>>;
  takenAtMs: number;
}

export interface WorldRanking {
  ranking: RankedOption[];
  regions: Record<string, MergedRegion>;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function isNewerSnapshot(incoming: { version: number }, current: { version: number } | undefined): boolean {
  return current === undefined || incoming.version > current.version;
}

/** Each region's newest snapshot of each poll among `snapshots` (a batch), in the order first seen. */
export function newestSnapshots<S extends { pollId: string; region: string; version: number }>(snapshots: S[]): S[] {
  const newest = new Map<string, S>();
  for (const s of snapshots) {
    const key = `${s.pollId}\u0000${s.region}`;
    if (isNewerSnapshot(s, newest.get(key))) newest.set(key, s);
  }
  return [...newest.values()];
}

export function rankWorld(poll: PollRules, snapshots: ReadonlyMap<string, RegionSnapshot>): WorldRanking {
  const regions: Record<string, MergedRegion> = {};
  for (const region of Object.keys(poll.regionWeights).sort(byString)) {
    const snapshot = snapshots.get(region);
    const counts = Object.fromEntries(poll.options.map((o) => [o, snapshot?.counts[o] ?? 0]));
    regions[region] = {
      weight: poll.regionWeights[region]!,
      votes: Object.values(counts).reduce((sum, n) => sum + n, 0),
      counts,
      snapshotVersion: snapshot?.version ?? 0,
      snapshotAtMs: snapshot?.takenAtMs ?? null,
    };
  }
  const voting = Object.values(regions).filter((r) => r.votes > 0);
  const totalWeight = voting.reduce((sum, r) => sum + r.weight, 0);
  const scored = poll.options.map((optionId) => ({
    optionId,
    score:
      totalWeight === 0
        ? 0
        : voting.reduce((sum, r) => sum + (r.weight * r.counts[optionId]!) / r.votes, 0) / totalWeight,
  }));
  scored.sort((a, b) => b.score - a.score || byString(a.optionId, b.optionId));
  return { ranking: scored.map((s, i) => ({ ...s, rank: i + 1 })), regions };
}

/** The result as a string that is equal exactly when two results say the same, to tell a change from a repeat. */
export function fingerprint(ranking: WorldRanking): string {
  return JSON.stringify([
    ranking.ranking,
    Object.entries(ranking.regions).map(([r, m]) => [
      r,
      m.weight,
      m.snapshotVersion,
      m.snapshotAtMs,
      Object.entries(m.counts),
    ]),
  ]);
}

/**
 * The version of a changed result: one more than the last, and at least the time of the change in ms. The
 * clock part keeps versions growing across a rebuild of the merger's state from scratch (it starts again
 * above anything published before, as long as results changed less than once per millisecond on average);
 * the +1 keeps them growing when the clock stands still or steps back.
 */
export function nextResultVersion(previous: number | undefined, nowMs: number): number {
  return Math.max((previous ?? 0) + 1, nowMs);
}

/** A published result with its fingerprint, as the merger keeps it. */
export interface KeptResult {
  result: GlobalResult;
  fingerprint: string;
}

/**
 * The current result of each defined poll: the kept one while the ranking says the same (a repeat publishes
 * the same version again), else a new version computed at `nowMs`. `changed` is what to keep.
 */
export function decideResults(
  polls: ReadonlyMap<string, PollRules>,
  snapshots: ReadonlyMap<string, ReadonlyMap<string, RegionSnapshot>>,
  kept: ReadonlyMap<string, KeptResult>,
  nowMs: number,
): { results: GlobalResult[]; changed: KeptResult[] } {
  const results: GlobalResult[] = [];
  const changed: KeptResult[] = [];
  for (const [pollId, rules] of polls) {
    const world = rankWorld(rules, snapshots.get(pollId) ?? new Map());
    const print = fingerprint(world);
    const before = kept.get(pollId);
    if (before && before.fingerprint === print) {
      results.push(before.result);
      continue;
    }
    const result: GlobalResult = {
      pollId,
      version: nextResultVersion(before?.result.version, nowMs),
      ...world,
      computedAtMs: nowMs,
    };
    changed.push({ result, fingerprint: print });
    results.push(result);
  }
  return { results, changed };
}
