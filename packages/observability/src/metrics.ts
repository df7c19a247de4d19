import { Registry, collectDefaultMetrics } from 'prom-client';

export type Metrics = Registry;

/** A registry per service (never the global one), labelled with the service so dashboards can group by it. */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'tally_' });
  return registry;
}
