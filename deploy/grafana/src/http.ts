/**
 * "Tally — HTTP": the public API as the ingest-gateway answers it, per route template (never the raw URL):
 * request rate, latency p50/p99 (writes include the Kafka acknowledgement) and 4xx/5xx errors.
 */
import { RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { dashboard, finish, quantile, query, timeseries, variable, type Dashboard } from './common.js';

/** The API's routes; probes and Prometheus' own scrapes of /metrics are left out. */
const api = 'service="ingest-gateway", route!~"/metrics|/healthz|/readyz"';
const selector = `${api}, route=~"$route"`;
const requests = (extra = '') => `rate(tally_http_requests_total{${selector}${extra}}[$__rate_interval])`;

export function httpDashboard(): Dashboard {
  const built = dashboard(
    'tally-http',
    'Tally — HTTP',
    'The ingest-gateway’s public API per route: request rate, latency p50/p99 and 4xx/5xx errors.',
  )
    .withVariable(variable('route', 'Route', `tally_http_requests_total{${api}}`))
    .withRow(new RowBuilder('Traffic'))
    .withPanel(
      timeseries({
        title: 'Requests per second, per route',
        description: 'Requests answered by the gateway, per method and route template (tally_http_requests_total).',
        unit: 'reqps',
        queries: [query(`sum by (method, route) (${requests()})`, '{{method}} {{route}}')],
        stacked: true,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Requests per second, per status',
        description:
          '202: accepted after Kafka acknowledged (acks=all); 400: bad input; 401/403: key or scope; 429: rate limited; 503: Kafka or the owning service unavailable.',
        unit: 'reqps',
        queries: [query(`sum by (status) (${requests()})`, '{{status}}')],
        stacked: true,
      }),
    )
    .withRow(new RowBuilder('Latency'))
    .withPanel(
      timeseries({
        title: 'Latency p50, per route',
        description:
          'Median time from receiving a request to the last byte of its answer; a write includes the Kafka acknowledgement.',
        unit: 's',
        queries: [
          query(
            quantile(0.5, 'tally_http_request_duration_seconds', selector, 'method, route'),
            '{{method}} {{route}} p50',
          ),
        ],
      }),
    )
    .withPanel(
      timeseries({
        title: 'Latency p99, per route',
        description: '99th percentile of the same.',
        unit: 's',
        queries: [
          query(
            quantile(0.99, 'tally_http_request_duration_seconds', selector, 'method, route'),
            '{{method}} {{route}} p99',
          ),
        ],
      }),
    )
    .withRow(new RowBuilder('Errors'))
    .withPanel(
      timeseries({
        title: '4xx and 5xx per second, per route',
        description:
          'Client errors (4xx: bad input, missing key or scope, rate limit) and server errors (5xx) per route, by class.',
        unit: 'reqps',
        queries: [
          query(
            `sum by (method, route, class) (label_replace(${requests(', status=~"[45].."')}, "class", "\${1}xx", "status", "([45]).."))`,
            '{{class}} {{method}} {{route}}',
          ),
        ],
        stacked: true,
      }),
    )
    .withPanel(
      timeseries({
        title: 'Error ratio per route (4xx, 5xx)',
        description: 'Share of each route’s requests answered 4xx or 5xx; 0 when a route had none.',
        unit: 'percentunit',
        queries: ['4', '5'].map((c) =>
          query(
            `(sum by (method, route) (${requests(`, status=~"${c}.."`)}) or 0 * sum by (method, route) (${requests()})) / sum by (method, route) (${requests()})`,
            `${c}xx {{method}} {{route}}`,
          ),
        ),
      }),
    )
    .build();
  return finish(built);
}
