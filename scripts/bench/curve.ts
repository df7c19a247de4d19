/**
 * A measure sampled over time (a consumer group's lag, a process's memory) and whether it settled: the pure
 * part of the sustained benchmark, so it can be checked without a stack.
 */

export interface Point {
  /** Seconds since the load started. */
  atSeconds: number;
  value: number;
}

/** The least-squares slope of the points, in value per second (0 for fewer than two distinct times). */
export function slope(points: Point[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanT = points.reduce((s, p) => s + p.atSeconds, 0) / n;
  const meanV = points.reduce((s, p) => s + p.value, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const p of points) {
    covariance += (p.atSeconds - meanT) * (p.value - meanV);
    variance += (p.atSeconds - meanT) ** 2;
  }
  return variance > 0 ? covariance / variance : 0;
}

/** The second half of the points (at least two, when there are two). */
export const secondHalf = (points: Point[]): Point[] =>
  points.slice(Math.min(points.length - 2, Math.floor(points.length / 2)));

/**
 * A lag is bounded when it no longer grows by the end of the run: its least-squares slope over the second half
 * of the samples is at most 1% of the rate sent. A service slower than its load shows a slope near (sent − drain
 * rate), a service keeping up a slope near 0 however its lag jumps from sample to sample (batches commit in
 * steps); half the run rather than its last quarter, so that the steps of a short run are not read as a trend.
 */
export function lagTrend(points: Point[], sentPerSecond: number): { perSecond: number; bounded: boolean } {
  const perSecond = slope(secondHalf(points));
  return { perSecond, bounded: perSecond <= 0.01 * sentPerSecond };
}

/** "10 s 120, 20 s 95, …": a curve as one result value. */
export const compactCurve = (points: Point[], digits = 0): string =>
  points.map((p) => `${Math.round(p.atSeconds)} s ${+p.value.toFixed(digits)}`).join(', ');
