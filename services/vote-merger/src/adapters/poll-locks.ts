import type { PoolClient } from '@tally/storage';

/**
 * Serialises everything done to the given polls until the transaction ends: their ballots, pending ones and
 * counts (region), their snapshots and result (merger). Locks are taken in one global order (by hash) so two
 * transactions that share polls queue instead of deadlocking. Postgres evaluates the volatile lock function
 * after the ORDER BY.
 */
export async function lockPolls(db: PoolClient, namespace: string, pollIds: readonly string[]): Promise<void> {
  if (pollIds.length === 0) return;
  await db.query(
    `SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtext($1 || p) AS h FROM unnest($2::text[]) AS p) AS x ORDER BY h`,
    [`${namespace}/poll/`, [...new Set(pollIds)]],
  );
}

/** The newest definition of each poll among `definitions`, in the order they come. */
export function newestPerPoll<T extends { pollId: string; definedAtMs: number; seq: number }>(definitions: readonly T[]): T[] {
  const newest = new Map<string, T>();
  for (const d of definitions) {
    const seen = newest.get(d.pollId);
    if (!seen || d.definedAtMs > seen.definedAtMs || (d.definedAtMs === seen.definedAtMs && d.seq >= seen.seq)) newest.set(d.pollId, d);
  }
  return [...newest.values()];
}
