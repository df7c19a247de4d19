/**
 * "Tally — votes": global votes across isolated regions. Each region's vote-merger decides every ballot —
 * counted, pending (its poll not known yet), superseded (not the user's first), refused — and the merger
 * combines the regions' snapshots; lag shows a region that has fallen behind or is offline.
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { bars, dashboard, finish, query, timeseries, variable, type Dashboard } from './common.js';

const selector = 'region=~"$region"';

export function votesDashboard(): Dashboard {
  const built = dashboard(
    'tally-votes',
    'Tally — votes',
    'Ballots per region and outcome, and how far each region and the merger are behind.',
  )
    .withVariable(variable('region', 'Region', 'tally_votes_ballots_total'))
    .withRow(new RowBuilder('Ballots'))
    .withPanel(
      timeseries({
        title: 'Ballots per second, per region and outcome',
        description:
          'Ballots each region decided (tally_votes_ballots_total): counted, pending (poll not known yet), superseded (the user had voted), refused.',
        unit: 'rps',
        queries: [
          query(
            `sum by (region, outcome) (rate(tally_votes_ballots_total{${selector}}[$__rate_interval]))`,
            '{{region}} {{outcome}}',
          ),
        ],
        stacked: true,
      }),
    )
    .withPanel(
      bars({
        title: 'Ballots in the time range, per region and outcome',
        description: 'The same, totalled over the dashboard’s time range.',
        unit: 'short',
        queries: [
          query(
            `sum by (region, outcome) (increase(tally_votes_ballots_total{${selector}}[$__range]))`,
            '{{region}} {{outcome}}',
          ),
        ],
      }),
    )
    .withRow(new RowBuilder('Regions and the merger'))
    .withPanel(
      timeseries({
        title: 'Records processed per second, per vote-merger group',
        description:
          'Each region’s counter (vote-merger.<region>: ballots, polls, results) and the hub’s merger (snapshots, polls).',
        unit: 'rps',
        queries: [
          query(
            'sum by (group) (rate(tally_records_processed_total{service="vote-merger"}[$__rate_interval]))',
            '{{group}}',
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Lag per vote-merger group',
        description:
          'Records each region’s counter and the merger still have to process. A region offline keeps its ballots waiting in its own topic: its lag grows, the world result goes on with its last snapshot.',
        unit: 'short',
        queries: [
          query(
            'sum by (group) (max by (group, topic, partition) (tally_consumer_lag{service="vote-merger"}))',
            '{{group}}',
          ),
        ],
      }),
    )
    .build();
  return finish(built);
}
