/**
 * One route under load with autocannon: a fixed number of connections, each sending its next request as soon as
 * the previous one is answered, every request built fresh (a new (source, seq) per write). Only 2xx answers
 * count as throughput and latency; every other status, connection error and timeout is counted and reported.
 */
import autocannon from 'autocannon';
import { percentile } from '../lib.js';

export interface Call {
  path: string;
  body?: unknown;
}

export interface RouteLoad {
  /** The route as docs/API.md writes it, e.g. "POST /v1/items/{itemId}/likes": it names the measures. */
  route: string;
  method: 'GET' | 'POST';
  /** The next request; called once per request sent, so writes never repeat a (source, seq). */
  next: () => Call;
  /** How many items a 2xx answer accepted (batch routes); 1 when not given. */
  itemsAccepted?: (body: string) => number;
}

export interface Measured {
  answered2xx: number;
  requestsPerSecond: number;
  itemsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * Answers by HTTP status, plus "errors" (requests without an answer, timeouts included) and "timeouts" when
   * any. Requests still in flight when the time is up (one per connection) are neither counted nor failed.
   */
  answers: Record<string, number>;
}

export interface DriveOptions {
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/** Drives `load` against `baseUrl` for `seconds` and returns what it measured. */
export function drive(baseUrl: string, load: RouteLoad, options: DriveOptions): Promise<Measured> {
  const latencies: number[] = [];
  const answers: Record<string, number> = {};
  let items = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections: options.connections,
        duration: options.seconds,
        headers: options.headers ?? {},
        requests: [
          {
            method: load.method,
            setupRequest: (request) => {
              const call = load.next();
              if (call.body === undefined) return { ...request, path: call.path };
              return {
                ...request,
                path: call.path,
                headers: { ...request.headers, 'content-type': 'application/json' },
                body: JSON.stringify(call.body),
              };
            },
            // only read when the route accepts items: reading every body would cost the client time
            ...(load.itemsAccepted
              ? {
                  onResponse: (status: number, body: string) =>
                    void (isSuccess(status) && (items += load.itemsAccepted!(body))),
                }
              : {}),
          },
        ],
      },
      (error: unknown, result: autocannon.Result) => {
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        if (result.errors > 0) answers.errors = result.errors;
        if (result.timeouts > 0) answers.timeouts = result.timeouts;
        latencies.sort((a, b) => a - b);
        const succeeded = latencies.length;
        resolve({
          answered2xx: succeeded,
          requestsPerSecond: Math.round(succeeded / result.duration),
          itemsPerSecond: Math.round((load.itemsAccepted ? items : succeeded) / result.duration),
          p50Ms: percentile(latencies, 50),
          p99Ms: percentile(latencies, 99),
          answers,
        });
      },
    );
    instance.on('response', (_client, status, _bytes, milliseconds) => {
      answers[status] = (answers[status] ?? 0) + 1;
      if (isSuccess(status)) latencies.push(milliseconds);
    });
  });
}
