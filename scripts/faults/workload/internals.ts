/**
 * What the invariant checks need from a workload beyond its public interface: the models of what was
 * accepted, and the keepers to hold while viewers are read. Kept beside the workload (not on it) so the
 * Workload interface stays what the runner uses.
 */
import type { InvariantResult } from '../invariant-result.js';
import type { LateTopic } from './check-late.js';
import type { CounterModel } from './counters.js';
import type { LateModel } from './late-data.js';
import type { QueueModel } from './queue.js';
import type { LoadStats, Product } from './stats.js';
import type { Keepers, ViewerModel } from './viewers.js';
import type { VoteModel } from './votes.js';
import type { WalletModel } from './wallet.js';

export interface WorkloadInternals {
  /** The run's id made safe for ids and sources: every source of the workload's is `<tag>.<...>`. */
  tag: string;
  stats: LoadStats;
  viewers: ViewerModel;
  counters: CounterModel;
  wallet: WalletModel;
  queue: QueueModel;
  votes: VoteModel;
  keepers: Keepers;
  /** The workload's writes that must be in the late topic, and the topic as read. */
  late: LateModel;
  lateTopic: LateTopic;
  /** Checks a fault asked for, made once by the next invariant check (after lag 0), then dropped. */
  onceChecks: (() => Promise<InvariantResult[]>)[];
  /** Per product, repeated writes (the duplicates fault) whose answer differed from the first answer. */
  repeatDisagreements: Map<Product, string[]>;
  /** What the last check observed the services count, per product, for "sent vs counted". */
  countedAtLastCheck: Partial<Record<Product, string>>;
}

export class NotAWorkloadError extends Error {
  constructor() {
    super(
      'checkInvariants needs a workload made by createWorkload (scripts/faults/workload.ts): it reads what that workload sent',
    );
    this.name = 'NotAWorkloadError';
  }
}

const registry = new WeakMap<object, WorkloadInternals>();

export function registerInternals(workload: object, internals: WorkloadInternals): void {
  registry.set(workload, internals);
}

export function internalsOf(workload: object): WorkloadInternals {
  const internals = registry.get(workload);
  if (!internals) throw new NotAWorkloadError();
  return internals;
}
