import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '@tally/observability';

/** Every consumer's metrics (docs/ARCHITECTURE.md): throughput, batch latency, lag, dead letters and late records. */
export interface ConsumerMetrics {
  recordsProcessed: Counter<'group' | 'topic'>;
  batchDuration: Histogram<'group' | 'topic'>;
  consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  deadLetters: Counter<'group' | 'topic' | 'reason'>;
  lateRecords: Counter<'group' | 'topic' | 'reason'>;
  rebalancePause: Histogram<'group'>;
}

const cache = new WeakMap<Metrics, ConsumerMetrics>();

export function consumerMetrics(registry: Metrics): ConsumerMetrics {
  const existing = cache.get(registry);
  if (existing) return existing;
  const created: ConsumerMetrics = {
    recordsProcessed: new Counter({
      name: 'tally_records_processed_total',
      help: 'Records consumed and applied (or dead-lettered); rate() gives records/s.',
      labelNames: ['group', 'topic'],
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: 'tally_batch_duration_seconds',
      help: 'Time from receiving a batch to its offsets being committed.',
      labelNames: ['group', 'topic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: 'tally_consumer_lag',
      help: 'Records behind: the partition end offset minus the group committed offset.',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'tally_dead_letters_total',
      help: 'Records sent to the dead-letter topic, by reason.',
      labelNames: ['group', 'topic', 'reason'],
      registers: [registry],
    }),
    lateRecords: new Counter({
      name: 'tally_late_records_total',
      help: 'Records set aside to the late topic (too late for a window, or older than the idempotency record), by reason.',
      labelNames: ['group', 'topic', 'reason'],
      registers: [registry],
    }),
    rebalancePause: new Histogram({
      name: 'tally_consumer_rebalance_pause_seconds',
      help:
        'Per member and rebalance, from learning of the rebalance to rejoining with an assignment: kafkajs’s eager ' +
        'protocol revokes every partition first, so the member consumes nothing meanwhile; _count is the rebalances.',
      labelNames: ['group'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60],
      registers: [registry],
    }),
  };
  cache.set(registry, created);
  return created;
}
