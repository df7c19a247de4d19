import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import type { Metrics } from '@tally/observability';

const labelNames = ['route', 'method', 'status'] as const;
const cache = new WeakMap<
  Metrics,
  { duration: Histogram<(typeof labelNames)[number]>; requests: Counter<(typeof labelNames)[number]> }
>();

function httpMetrics(registry: Metrics) {
  let metrics = cache.get(registry);
  if (!metrics) {
    metrics = {
      duration: new Histogram({
        name: 'tally_http_request_duration_seconds',
        help: 'Time from receiving a request to the last byte of its answer; writes include the Kafka acknowledgement.',
        labelNames,
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      }),
      requests: new Counter({
        name: 'tally_http_requests_total',
        help: 'Requests answered, by route template, method and status.',
        labelNames,
        registers: [registry],
      }),
    };
    cache.set(registry, metrics);
  }
  return metrics;
}

/** Labels by route template (never the raw URL), so stream ids cannot explode the series count. */
export function observeHttp(app: FastifyInstance, registry: Metrics): void {
  const { duration, requests } = httpMetrics(registry);
  app.addHook('onResponse', async (request, reply) => {
    const labels = {
      route: request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
      method: request.method,
      status: String(reply.statusCode),
    };
    duration.observe(labels, reply.elapsedTime / 1000);
    requests.inc(labels);
  });
}
