/**
 * "Tally — consumer lag": how many records each consumer group still has to process, per group and per
 * topic-partition. Every instance of a group exports the lag of all the group's partitions
 * (tally_consumer_lag, refreshed every 5 s from the committed and end offsets, as kafka-consumer-groups
 * computes it), so a partition's lag is the max over instances and a group's lag is the sum over its partitions.
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, finish, query, stat, timeseries, variable, type Dashboard } from './common.js';

const selector = 'service=~"$service", group=~"$group"';
const perPartition = `max by (group, topic, partition) (tally_consumer_lag{${selector}})`;
const perGroup = `sum by (group) (${perPartition})`;

export function consumerLagDashboard(): Dashboard {
  const built = dashboard(
    'tally-consumer-lag',
    'Tally — consumer lag',
    'Records each consumer group still has to process (partition end offset minus the group committed offset), per group and per topic-partition.',
  )
    .withVariable(variable('service', 'Service', 'tally_consumer_lag'))
    .withVariable(variable('group', 'Consumer group', 'tally_consumer_lag{service=~"$service"}'))
    .withRow(new RowBuilder('Per group'))
    .withPanel(
      stat({
        title: 'Total lag per group',
        description:
          'Records the group has still to process, summed over its partitions (each partition: the max over the instances that report it). Orange from 1,000, red from 10,000 (the TallyConsumerLagHigh alert).',
        unit: 'short',
        queries: [query(perGroup, '{{group}}')],
        thresholds: [1000, 10_000],
        width: 24,
        height: 5,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Total lag per group',
        description:
          'The same total over time: a line that keeps rising means the group consumes slower than its topics grow.',
        unit: 'short',
        queries: [query(perGroup, '{{group}}')],
        thresholds: [10_000],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Records processed per second, per group',
        description: 'How fast each group works its lag off (tally_records_processed_total).',
        unit: 'rps',
        queries: [
          query(`sum by (group) (rate(tally_records_processed_total{${selector}}[$__rate_interval]))`, '{{group}}'),
        ],
      }),
    )
    .withRow(new RowBuilder('Per partition'))
    .withPanel(
      timeseries({
        title: 'Lag per group and partition (max over instances)',
        description:
          'One line per consumer group and topic-partition. A single partition far above the others points at a hot key or a slow record; all of them rising points at the service.',
        unit: 'short',
        queries: [query(perPartition, '{{group}} {{topic}}[{{partition}}]')],
        width: 24,
        height: 10,
      }),
    )
    .build();
  return finish(built);
}
