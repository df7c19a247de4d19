import type { Dashboard } from './common.js';
import { consumerLagDashboard } from './consumer-lag.js';
import { httpDashboard } from './http.js';
import { processingDashboard } from './processing.js';
import { votesDashboard } from './votes.js';

/** Every dashboard, by the file it is written to in deploy/grafana/dashboards/. */
export function dashboards(): Record<string, Dashboard> {
  return {
    'tally-consumer-lag.json': consumerLagDashboard(),
    'tally-processing.json': processingDashboard(),
    'tally-http.json': httpDashboard(),
    'tally-votes.json': votesDashboard(),
  };
}

/** The JSON Grafana reads, as written to disk (stable: two spaces, trailing newline). */
export const render = (dashboard: Dashboard): string => `${JSON.stringify(dashboard, null, 2)}\n`;
