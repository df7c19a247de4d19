/**
 * Ranking order: highest score first, ties by itemId ascending, ranks from 1; an item with no positive score
 * is not ranked. Redis keeps each ranking as a sorted set scored by the negated value, because ZRANGE orders
 * equal scores by member ascending — exactly this order, in O(log n + N).
 */
export interface Ranked {
  itemId: string;
  score: number;
  rank: number;
}

export const sortedSetScore = (value: number) => -value;
export const valueOfSortedSetScore = (score: number) => -score;

/** The same order computed in memory (the Postgres fallback while Redis is being rebuilt). */
export function rankScores(scores: Iterable<[string, number]>, limit: number): Ranked[] {
  return [...scores]
    .filter(([, score]) => score > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, limit)
    .map(([itemId, score], i) => ({ itemId, score, rank: i + 1 }));
}
