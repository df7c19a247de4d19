import { formatWriteKey } from '@tally/contracts';
import type { GlobalResult, PollDefinition, RegionalTally } from '@tally/schemas';
import { newestPerPoll } from './domain/poll-definitions.js';
import {
  decideResults,
  newestSnapshots,
  type KeptResult,
  type PollRules,
  type RegionSnapshot,
} from './domain/world-ranking.js';

/** A definition as the merger keeps it: the write id it came as. */
export type MergerDefinition = Pick<PollDefinition, 'pollId' | 'options' | 'regionWeights' | 'definedAtMs' | 'seq'> & {
  writeId: string;
};

/** What one transaction of the merger needs from storage, under exclusive locks of its polls. */
export interface MergerTransaction {
  /** Stores each definition newer than the poll's. */
  keepDefinitions(definitions: MergerDefinition[]): Promise<void>;
  /** Stores each snapshot newer (by version) than its region's for the poll. */
  keepSnapshots(snapshots: RegionalTally[]): Promise<void>;
  /** The rules of the defined polls among `pollIds`. */
  rules(pollIds: string[]): Promise<Map<string, PollRules>>;
  /** Per poll, per region: the snapshot kept. */
  snapshots(pollIds: string[]): Promise<Map<string, Map<string, RegionSnapshot>>>;
  /** The results kept (published) of the polls. */
  keptResults(pollIds: string[]): Promise<Map<string, KeptResult>>;
  keepResults(changed: KeptResult[]): Promise<void>;
}

/** The port of the merger's use cases (MergerStore in Postgres). */
export interface MergerPort {
  /** One transaction under exclusive locks of the polls (see poll-locks.ts). */
  inPolls<T>(pollIds: string[], work: (tx: MergerTransaction) => Promise<T>): Promise<T>;
  /** The clock results are computed by (injected in tests). */
  now(): number;
}

/** Keeps the newest definition of each poll; returns the current result of every poll defined. */
export function mergeDefinitions(store: MergerPort, definitions: PollDefinition[]): Promise<GlobalResult[]> {
  const newest = newestPerPoll(definitions);
  return recomputing(
    store,
    newest.map((d) => d.pollId),
    (tx) => tx.keepDefinitions(newest.map((d) => ({ ...d, writeId: formatWriteKey(d) }))),
  );
}

/** Keeps each region's newest snapshot (a stale or repeated one changes nothing); returns the touched polls' results. */
export function mergeSnapshots(store: MergerPort, snapshots: RegionalTally[]): Promise<GlobalResult[]> {
  const kept = newestSnapshots(snapshots);
  return recomputing(
    store,
    kept.map((s) => s.pollId),
    (tx) => tx.keepSnapshots(kept),
  );
}

/** Runs `change` and recomputes `pollIds` in one transaction under their locks; returns their current results. */
async function recomputing(
  store: MergerPort,
  pollIds: string[],
  change: (tx: MergerTransaction) => Promise<void>,
): Promise<GlobalResult[]> {
  if (pollIds.length === 0) return [];
  return store.inPolls(pollIds, async (tx) => {
    await change(tx);
    const polls = [...new Set(pollIds)];
    const { results, changed } = decideResults(
      await tx.rules(polls),
      await tx.snapshots(polls),
      await tx.keptResults(polls),
      store.now(),
    );
    if (changed.length > 0) await tx.keepResults(changed);
    return results;
  });
}
