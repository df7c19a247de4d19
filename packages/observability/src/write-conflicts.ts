import { Counter } from 'prom-client';
import type { WriteConflictReason } from '@tally/contracts';
import type { Metrics } from './metrics.js';

export interface WriteConflicts {
  /** Counts one write refused because its (source, seq) was already applied with another body. */
  count(reason: WriteConflictReason, n?: number): void;
}

// one counter per registry: a metric name registers once, and several handlers of a service may count reuses
const cache = new WeakMap<Metrics, Counter<'reason'>>();

/**
 * `tally_write_conflicts_total{service, reason}`: writes whose id was reused with another body (a client bug),
 * by `id_reused_with_different_<field>`. `service` is the registry's default label (`createMetrics`), as on every
 * other metric of the service, so it is not a label of its own here.
 */
export function writeConflicts(registry: Metrics): WriteConflicts {
  let counter = cache.get(registry);
  if (!counter) {
    counter = new Counter({
      name: 'tally_write_conflicts_total',
      help: 'Writes refused because their (source, seq) was already applied with another body, by the first field that differs.',
      labelNames: ['reason'],
      registers: [registry],
    });
    cache.set(registry, counter);
  }
  const created = counter;
  return { count: (reason, n = 1) => created.inc({ reason }, n) };
}
