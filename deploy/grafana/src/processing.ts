/**
 * "Tally — processing": what every consumer does — records applied per second, how long a batch takes from
 * receipt to committed offsets, and what goes to the dead-letter and late topics — plus each process's CPU, memory
 * and event-loop delay.
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { bars, dashboard, finish, quantile, query, timeseries, variable, type Dashboard } from './common.js';

const selector = 'service=~"$service"';

/** A side topic's records per service and reason over the last 5 minutes, labelled `side` so both share a panel. */
const aside = (metric: string, side: string) =>
  `label_replace(sum by (service, reason) (increase(${metric}{${selector}}[5m])), "side", "${side}", "", "")`;

export function processingDashboard(): Dashboard {
  const built = dashboard(
    'tally-processing',
    'Tally — processing',
    'Records processed per second, batch latency, dead-lettered and late records per service, and each process’s resources.',
  )
    .withVariable(variable('service', 'Service', 'tally_records_processed_total'))
    .withRow(new RowBuilder('Throughput'))
    .withPanel(
      timeseries({
        title: 'Records processed per second, per service',
        description: 'Records consumed and applied (or dead-lettered), committed: tally_records_processed_total.',
        unit: 'rps',
        queries: [
          query(`sum by (service) (rate(tally_records_processed_total{${selector}}[$__rate_interval]))`, '{{service}}'),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Records processed per second, per group and topic',
        description:
          'The same by consumer group and topic (vote-merger runs a group per region and one for the merger).',
        unit: 'rps',
        queries: [
          query(
            `sum by (group, topic) (rate(tally_records_processed_total{${selector}}[$__rate_interval]))`,
            '{{group}} ← {{topic}}',
          ),
        ],
      }),
    )
    .withRow(new RowBuilder('Batch latency'))
    .withPanel(
      timeseries({
        title: 'Batch latency p50, per service',
        description:
          'Median time from receiving a batch to its offsets being committed (tally_batch_duration_seconds).',
        unit: 's',
        queries: [query(quantile(0.5, 'tally_batch_duration_seconds', selector, 'service'), '{{service}} p50')],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Batch latency p99, per service',
        description:
          '99th percentile of the same: slow batches (a slow store, retries of transient failures, records applied one by one after a failed batch).',
        unit: 's',
        queries: [query(quantile(0.99, 'tally_batch_duration_seconds', selector, 'service'), '{{service}} p99')],
      }),
    )
    .withRow(new RowBuilder('Dead letters and late records'))
    .withPanel(
      timeseries({
        title: 'Dead letters per second, per service and topic',
        description:
          'Records that could not be decoded or processed and went to the dead-letter topic with the reason (tally_dead_letters_total). Their partition went on.',
        unit: 'rps',
        queries: [
          query(
            `sum by (service, topic) (rate(tally_dead_letters_total{${selector}}[$__rate_interval]))`,
            '{{service}} ← {{topic}}',
          ),
        ],
        stacked: true,
      }),
    )
    .withPanel(
      bars({
        title: 'Dead letters in the time range, per service and reason',
        description:
          'DECODE_FAILED: not a record of the topic’s schema; REJECTED: refused by the domain; PROCESSING_FAILED: kept failing on its own.',
        unit: 'short',
        queries: [
          query(
            `sum by (service, reason) (increase(tally_dead_letters_total{${selector}}[$__range]))`,
            '{{service}} {{reason}}',
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Dead-lettered and late records in the last 5 minutes, per service and reason',
        description:
          'Records that went aside: dead-lettered (tally_dead_letters_total: DECODE_FAILED, REJECTED, PROCESSING_FAILED) and late (tally_late_records_total: AFTER_GRACE, too late for a window; BEYOND_IDEMPOTENCY_HORIZON, older than the write record, not applied). ' +
          'Each counts what the service wrote to the side topic, so a record reported twice after a crash counts twice; `pnpm tally dlq count` and `pnpm tally late count` count each source record once, and list, show and redrive them.',
        unit: 'short',
        queries: [
          query(
            `${aside('tally_dead_letters_total', 'dead-lettered')} or ${aside('tally_late_records_total', 'late')}`,
            '{{side}} {{service}} {{reason}}',
          ),
        ],
        stacked: true,
        width: 24,
      }),
    )
    .withPanel(
      bars({
        title: 'Reused write ids in the time range, per service and reason',
        description:
          'Writes whose (source, seq) was already used for a different body (a client reusing ids): the first write stands, the reuse is refused and reported (tally_write_conflicts_total, by id_reused_with_different_<field>). ' +
          'The wallet answers them 409 id_reused and records them on the transaction; queue joins and ballots go to the dead-letter topic as REJECTED.',
        unit: 'short',
        queries: [
          query(
            `sum by (service, reason) (increase(tally_write_conflicts_total{${selector}}[$__range]))`,
            '{{service}} {{reason}}',
          ),
        ],
        width: 24,
      }),
    )
    .withRow(new RowBuilder('Processes'))
    .withPanel(
      timeseries({
        title: 'CPU per instance',
        description: 'CPU seconds per second of each process (1 = one core).',
        unit: 'percentunit',
        queries: [
          query(
            `sum by (service, instance) (rate(tally_process_cpu_seconds_total{${selector}}[$__rate_interval]))`,
            '{{service}} {{instance}}',
          ),
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Resident memory per instance',
        description: 'Resident set size of each process.',
        unit: 'bytes',
        queries: [
          query(
            `sum by (service, instance) (tally_process_resident_memory_bytes{${selector}})`,
            '{{service}} {{instance}}',
          ),
        ],
        width: 8,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Event-loop delay p99 per instance',
        description:
          'How long callbacks waited for the Node.js event loop: high values delay heartbeats and requests alike.',
        unit: 's',
        queries: [
          query(
            `max by (service, instance) (tally_nodejs_eventloop_lag_p99_seconds{${selector}})`,
            '{{service}} {{instance}}',
          ),
        ],
        width: 8,
      }),
    )
    .build();
  return finish(built);
}
