/**
 * Counters and rankings against what was accepted: per item exact likes (fans whose like-state with the newest
 * event time is a like), views and the named counter's sum, unique viewers within docs/API.md's 1%; rankings in
 * the order docs/API.md defines (score descending, ties by itemId) with exactly those scores: all-time and 24h
 * for every metric (every event of the run is within 24 h, those sent 2 h old included), and 1h for views
 * (without the views sent 2 h old, which are late for it), while the run is young enough for every other view
 * to be inside the hour.
 */
import type { InvariantResult } from '../invariant-result.js';
import type { CounterModel, ItemExpectation } from './counters.js';
import { mapConcurrently, type Gateway } from './gateway.js';
import { countsVerdict, ruleVerdict, unreadable, type Comparison } from './verdicts.js';

interface Counts {
  likes: number;
  views: number;
  uniqueViewers: number;
  counters: Record<string, number>;
}

interface Ranked {
  itemId: string;
  score: number;
  rank: number;
}

const RANKING_LIMIT = 100;
const MINUTE_MS = 60_000;
/** The first minute of the 1h ranking window at `nowMs` (counter-materializer's windows.ts). */
const lastHourStart = (nowMs: number) => Math.floor(nowMs / MINUTE_MS) * MINUTE_MS - 59 * MINUTE_MS;
const byItemId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The ranking docs/API.md defines: positive scores only, highest first, ties by itemId. */
export function expectedRanking(scores: [string, number][], limit: number): Ranked[] {
  return scores
    .filter(([, score]) => score > 0)
    .sort(([a, x], [b, y]) => y - x || byItemId(a, b))
    .slice(0, limit)
    .map(([itemId, score], i) => ({ itemId, score, rank: i + 1 }));
}

/** What is wrong with a ranking that other runs' items may share: order, ranks, and this run's scores. */
export function rankingProblems(observed: Ranked[], expected: ReadonlyMap<string, number>, limit: number): string[] {
  const problems: string[] = [];
  observed.forEach((entry, i) => {
    if (entry.rank !== i + 1) problems.push(`${entry.itemId} is rank ${entry.rank} at place ${i + 1}`);
    const before = observed[i - 1];
    if (
      before &&
      (before.score < entry.score || (before.score === entry.score && byItemId(before.itemId, entry.itemId) > 0))
    ) {
      problems.push(`${before.itemId} (${before.score}) is ranked before ${entry.itemId} (${entry.score})`);
    }
    const score = expected.get(entry.itemId);
    if (score !== undefined && score !== entry.score)
      problems.push(`${entry.itemId} scores ${entry.score}, counted ${score}`);
  });
  const last = observed.at(-1);
  const listed = new Set(observed.map((e) => e.itemId));
  for (const [itemId, score] of expected) {
    if (score <= 0 || listed.has(itemId)) continue;
    // missing is right only when the list is full and the item ranks below its last entry
    const below =
      last &&
      observed.length === limit &&
      (score < last.score || (score === last.score && byItemId(itemId, last.itemId) > 0));
    if (!below) problems.push(`${itemId} (${score}) is missing`);
  }
  return problems;
}

export async function checkCounters(gateway: Gateway, model: CounterModel): Promise<InvariantResult[]> {
  let counts: Counts[];
  try {
    counts = await mapConcurrently(
      model.items,
      8,
      async (itemId) => (await gateway.read<Counts>(`/v1/items/${itemId}/counts`)).body,
    );
  } catch (error) {
    return [unreadable('counters', 'item counts', error)];
  }
  const expected = new Map(model.items.map((itemId) => [itemId, model.expected(itemId)] as const));
  const compare = (pick: (c: Counts) => number, want: (e: ItemExpectation) => number): Comparison[] =>
    model.items.map((itemId, i) => ({
      key: itemId,
      expected: want(expected.get(itemId)!),
      observed: pick(counts[i]!),
    }));
  const results = [
    countsVerdict(
      'counters',
      'likes per item = fans whose newest like-state is a like',
      'likes',
      compare(
        (c) => c.likes,
        (e) => e.likes,
      ),
    ),
    countsVerdict(
      'counters',
      'views per item = views accepted',
      'views',
      compare(
        (c) => c.views,
        (e) => e.views,
      ),
    ),
    countsVerdict(
      'counters',
      `counter ${model.counter} per item = sum of its accepted increments`,
      model.counter,
      compare(
        (c) => c.counters[model.counter] ?? 0,
        (e) => e.counter,
      ),
    ),
    uniqueViewersVerdict(
      compare(
        (c) => c.uniqueViewers,
        (e) => e.uniqueViewers,
      ),
    ),
  ];
  for (const [metric, score] of [
    ['likes', (e: ItemExpectation) => e.likes],
    ['views', (e: ItemExpectation) => e.views],
    [model.counter, (e: ItemExpectation) => e.counter],
  ] as const) {
    const scores = new Map([...expected].map(([itemId, e]) => [itemId, score(e)]));
    for (const window of ['all', '24h'] as const)
      results.push(await rankingVerdict(gateway, metric, window, scores, metric === model.counter));
  }
  // a minute of margin: the window may slide while the ranking is read
  if (Math.floor(model.oldestLastHourViewMs / MINUTE_MS) * MINUTE_MS >= lastHourStart(Date.now() + MINUTE_MS)) {
    const scores = new Map([...expected].map(([itemId, e]) => [itemId, e.viewsLastHour]));
    results.push(await rankingVerdict(gateway, 'views', '1h', scores, false));
  }
  return results;
}

/** docs/API.md lets uniqueViewers be an estimate within 1%. */
function uniqueViewersVerdict(comparisons: Comparison[]): InvariantResult {
  const off = comparisons.filter((c) => Math.abs(c.observed - c.expected) > Math.floor(c.expected * 0.01));
  return ruleVerdict(
    'counters',
    'uniqueViewers per item = distinct fans who viewed it (within 1%)',
    `${comparisons.reduce((s, c) => s + c.expected, 0)} over ${comparisons.length} items`,
    comparisons.length,
    off.map((c) => `${c.key}: expected ${c.expected}, got ${c.observed}`),
  );
}

/**
 * A ranking read against the counts. The run's own counter is ranked over this run's items only, so it must
 * equal the expected ranking exactly; likes and views rank every run's items, so this run's must have their
 * scores, in order, and be missing only below a full list.
 */
async function rankingVerdict(
  gateway: Gateway,
  metric: string,
  window: 'all' | '24h' | '1h',
  scores: Map<string, number>,
  ownMetric: boolean,
): Promise<InvariantResult> {
  const invariant =
    window === '1h'
      ? `ranking ${metric} (1h) agrees with the counts of the last hour (without what was sent 2 h old): order by score, then itemId`
      : `ranking ${metric} (${window}) agrees with the counts: order by score, then itemId`;
  let observed: Ranked[];
  try {
    observed = (await gateway.read<Ranked[]>(`/v1/rankings/${metric}?window=${window}&limit=${RANKING_LIMIT}`)).body;
  } catch (error) {
    return unreadable('counters', invariant, error);
  }
  const problems = ownMetric
    ? exactRankingProblems(observed, expectedRanking([...scores], RANKING_LIMIT))
    : rankingProblems(observed, scores, RANKING_LIMIT);
  return ruleVerdict(
    'counters',
    invariant,
    `${[...scores.values()].filter((s) => s > 0).length} of this run's items ranked`,
    observed.length,
    problems,
  );
}

function exactRankingProblems(observed: Ranked[], expected: Ranked[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < Math.max(observed.length, expected.length); i++) {
    const [o, e] = [observed[i], expected[i]];
    if (o?.itemId !== e?.itemId || o?.score !== e?.score || o?.rank !== e?.rank)
      problems.push(`place ${i + 1}: expected ${JSON.stringify(e)}, got ${JSON.stringify(o)}`);
  }
  return problems;
}
