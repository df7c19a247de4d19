/**
 * Global votes against the voters' first ballots: per region exact counts per option and voters, each
 * region's snapshot version = the ballots it counted, the global ranking recomputed here from docs/API.md's rule
 * (each region's counts as shares of its votes, the weighted mean over regions with votes, ties by optionId),
 * and the same result served by every region and by the merger.
 */
import type { InvariantResult } from '../invariant-result.js';
import type { Gateway } from './gateway.js';
import { countsVerdict, ruleVerdict, unreadable, type Comparison } from './verdicts.js';
import { POLL_OPTIONS, regionWeights, type VoteModel } from './votes.js';

interface RegionView {
  votes: number;
  counts: Record<string, number>;
  weight: number;
  snapshotVersion: number;
}

interface ResultView {
  version: number;
  global: { optionId: string; score: number; rank: number }[];
  regions: Record<string, RegionView>;
}

/** Scores are means of shares: computed the same way they agree to the last bits; this allows for rounding only. */
const SCORE_TOLERANCE = 1e-12;
const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** docs/API.md's global ranking from the regions' counts. */
export function expectedGlobal(
  counts: Map<string, Record<string, number>>,
  weights: Record<string, number>,
): { optionId: string; score: number; rank: number }[] {
  const voting = [...counts.keys()]
    .sort(byString)
    .map((region) => ({
      weight: weights[region]!,
      counts: counts.get(region)!,
      votes: Object.values(counts.get(region)!).reduce((a, b) => a + b, 0),
    }))
    .filter((r) => r.votes > 0);
  const totalWeight = voting.reduce((sum, r) => sum + r.weight, 0);
  return POLL_OPTIONS.map((optionId) => ({
    optionId,
    score:
      totalWeight === 0
        ? 0
        : voting.reduce((sum, r) => sum + (r.weight * r.counts[optionId]!) / r.votes, 0) / totalWeight,
  }))
    .sort((a, b) => b.score - a.score || byString(a.optionId, b.optionId))
    .map((s, i) => ({ ...s, rank: i + 1 }));
}

/** JSON with keys sorted, so two answers compare by content whatever their key order. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => byString(a, b)))
      : v,
  );

export async function checkVotes(
  gateway: Gateway,
  model: VoteModel,
  servers: Record<string, string>,
): Promise<InvariantResult[]> {
  const path = `/v1/polls/${model.pollId}/results`;
  let result: ResultView;
  let copies: [string, string][];
  try {
    const read = await gateway.read<ResultView>(path);
    if (read.status !== 200)
      return [unreadable('votes', 'poll results', `HTTP ${read.status} ${JSON.stringify(read.body)}`)];
    result = read.body;
    copies = await Promise.all(
      Object.entries(servers).map(
        async ([name, url]) => [name, await fetch(`${url}${path}`).then((r) => r.text())] as [string, string],
      ),
    );
  } catch (error) {
    return [unreadable('votes', 'poll results', error)];
  }
  const expectedCounts = new Map(model.regions.map((r) => [r, model.expectedCounts(r)]));
  const optionCounts: Comparison[] = [];
  const voters: Comparison[] = [];
  for (const [region, counts] of expectedCounts) {
    const seen = result.regions[region];
    for (const optionId of POLL_OPTIONS)
      optionCounts.push({
        key: `${region}/${optionId}`,
        expected: counts[optionId]!,
        observed: seen?.counts[optionId] ?? 0,
      });
    voters.push({
      key: region,
      expected: Object.values(counts).reduce((a, b) => a + b, 0),
      observed: seen?.votes ?? 0,
    });
  }
  const mine = canonical(result);
  return [
    countsVerdict('votes', 'per region and option: the voters whose first ballot chose it', 'votes', optionCounts),
    countsVerdict('votes', 'per region: votes = distinct voters (a second ballot never counts)', 'voters', voters),
    ruleVerdict(
      'votes',
      'each region’s snapshot version = the ballots it counted',
      'version = votes',
      voters.length,
      snapshotProblems(result, voters),
    ),
    ruleVerdict(
      'votes',
      'global ranking = weighted mean of regional shares, ties by optionId',
      'recomputed from the counts',
      POLL_OPTIONS.length,
      [
        ...weightProblems(result, regionWeights(model.regions)),
        ...globalProblems(result, expectedGlobal(expectedCounts, regionWeights(model.regions))),
      ],
    ),
    ruleVerdict(
      'votes',
      'every region (and the merger) serves the same result',
      `version ${result.version} everywhere`,
      copies.length,
      copies
        .filter(([, text]) => canonical(safeParse(text)) !== mine)
        .map(([name, text]) => `${name} serves ${text.slice(0, 160)}`),
    ),
  ];
}

function snapshotProblems(result: ResultView, voters: Comparison[]): string[] {
  return voters.flatMap(({ key }) => {
    const region = result.regions[key];
    return region && region.snapshotVersion !== region.votes
      ? [`${key}: snapshot version ${region.snapshotVersion} for ${region.votes} votes`]
      : [];
  });
}

function weightProblems(result: ResultView, weights: Record<string, number>): string[] {
  return Object.entries(weights).flatMap(([region, weight]) =>
    result.regions[region]?.weight === weight
      ? []
      : [`${region} weighs ${result.regions[region]?.weight}, defined ${weight}`],
  );
}

function globalProblems(result: ResultView, expected: ReturnType<typeof expectedGlobal>): string[] {
  const problems: string[] = [];
  expected.forEach((e, i) => {
    const o = result.global[i];
    if (!o || o.optionId !== e.optionId || o.rank !== e.rank || Math.abs(o.score - e.score) > SCORE_TOLERANCE) {
      problems.push(
        `rank ${i + 1}: expected ${e.optionId} ${e.score}, got ${o ? `${o.optionId} ${o.score}` : 'nothing'}`,
      );
    }
  });
  return problems;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
