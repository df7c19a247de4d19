import type { Product } from './workload/stats.js';

/** What one invariant check found: the checks under workload/ make these, invariants.ts runs the checks. */
export interface InvariantResult {
  product: Product;
  invariant: string;
  ok: boolean;
  expected: string;
  observed: string;
  /** Events missing: expected − observed where positive, summed over what was counted. */
  lost?: number;
  /** Events counted too often: observed − expected where positive. */
  doubled?: number;
  /** A check one fault asked for (made once, after it), not one made after every fault. */
  once?: boolean;
  /** Cases the model cannot decide (a range check): counted in the range's upper end only. */
  ambiguous?: number;
  /** Of the expected cases, how many were found (the late topic: late writes matched). */
  matched?: number;
  /** Invariants of a service's own state found broken (`tally ledger verify`'s violations), when it checks them. */
  violations?: number;
}
