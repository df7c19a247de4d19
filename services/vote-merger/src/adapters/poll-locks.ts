import type { PoolClient } from '@tally/storage';

/**
 * Holds the given polls until the transaction ends. `exclusive` serialises everything done to a poll: a new
 * definition settling its pending ballots (region), its snapshots and result (merger). `shared` is for a
 * region's ballot batches: they may run side by side (each partition has its own voters; their counts meet
 * only in row-locked increments), but never beside a definition of their poll, so a ballot is either counted
 * against the definition or seen pending by it. Locks are taken in one global order (by hash) so two
 * transactions that share polls queue instead of deadlocking; Postgres evaluates the volatile lock function
 * after the ORDER BY.
 */
export async function lockPolls(
  db: PoolClient,
  namespace: string,
  pollIds: readonly string[],
  mode: 'exclusive' | 'shared' = 'exclusive',
): Promise<void> {
  if (pollIds.length === 0) return;
  const lock = mode === 'shared' ? 'pg_advisory_xact_lock_shared' : 'pg_advisory_xact_lock';
  await db.query(
    `SELECT ${lock}(h) FROM (SELECT DISTINCT hashtext($1 || p) AS h FROM unnest($2::text[]) AS p) AS x ORDER BY h`,
    [`${namespace}/poll/`, [...new Set(pollIds)]],
  );
}
