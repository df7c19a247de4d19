import { Tally, TallyError, memoryStore } from '@tally/client';
import { setUp, trafficOf, type Job } from './traffic.js';

export interface LoadOptions {
  baseUrl: string;
  apiKey: string;
  /** Writes per second over all jobs, shared equally. */
  rate: number;
  /** 0: until the signal aborts. */
  seconds: number;
  jobs: readonly Job[];
  /** Requests in flight at most over all jobs (the SDK's concurrency, shared). */
  concurrency?: number;
  /** Writes kept unacknowledged per job at most; past it a write is skipped and counted as failed. */
  backlog?: number;
  run?: string;
  /** Called once a second with what happened in that second. */
  onSecond?: (second: number, window: Map<Job, JobWindow>, total: Map<Job, JobWindow>) => void;
  signal?: AbortSignal;
}

export interface JobWindow {
  /** Writes the jobs made. */
  sent: number;
  /** Writes acknowledged (202, or an item's 202 in a batch). */
  accepted: number;
  /** Writes refused for good (4xx). */
  refused: number;
  /** Attempts that failed and were retried (5xx, no answer), and writes skipped for a full backlog. */
  failed: number;
  /** HTTP requests sent: fewer than writes when the SDK batches. */
  requests: number;
  /** From a write's making to its acknowledgement, retries and batching included: what an app sees. */
  latenciesMs: number[];
}

const emptyWindow = (): JobWindow => ({ sent: 0, accepted: 0, refused: 0, failed: 0, requests: 0, latenciesMs: [] });

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

/**
 * Makes the jobs' writes at `rate` per second (open loop: the schedule does not wait for answers, as real
 * clients do not) and hands them to the SDK, one client per job as one app each, with its own source: the SDK
 * names, batches and retries them. Counts per job what came of each write; returns the totals once every write
 * is settled or 10 s after the end.
 */
export async function runLoad(options: LoadOptions): Promise<Map<Job, JobWindow>> {
  const run = options.run ?? Date.now().toString(36);
  const total = new Map(options.jobs.map((j) => [j, emptyWindow()]));
  let window = new Map(options.jobs.map((j) => [j, emptyWindow()]));
  const count = (job: Job, change: (w: JobWindow) => void) => {
    for (const w of [window.get(job), total.get(job)]) if (w) change(w);
  };
  const concurrency = Math.max(2, Math.floor((options.concurrency ?? 64) / options.jobs.length));
  const clients = new Map(
    options.jobs.map((job) => [
      job,
      new Tally({
        baseUrl: options.baseUrl,
        apiKey: options.apiKey,
        store: memoryStore(),
        sourcePrefix: `load.${job}.${run}`,
        concurrency,
        outboxCapacity: options.backlog ?? 20_000,
        onAttempt: ({ status, retrying }) =>
          count(job, (w) => {
            w.requests++;
            if (retrying || status === 0) w.failed++;
          }),
      }),
    ]),
  );
  await setUp(clients.values().next().value!, options.jobs, run);

  const next = new Map(options.jobs.map((j) => [j, trafficOf(j, { run })]));
  const startedAt = performance.now();
  let made = 0;
  let second = 0;
  let turn = 0;
  while (
    !options.signal?.aborted &&
    (options.seconds === 0 || performance.now() - startedAt < options.seconds * 1000)
  ) {
    const due = Math.floor((options.rate * (performance.now() - startedAt)) / 1000) - made;
    for (let i = 0; i < due; i++) {
      const { job, request } = next.get(options.jobs[turn++ % options.jobs.length]!)!();
      const started = performance.now();
      count(job, (w) => w.sent++);
      clients
        .get(job)!
        .client.write(request)
        .then(
          () => count(job, (w) => (w.accepted++, w.latenciesMs.push(performance.now() - started))),
          (error: unknown) => count(job, (w) => (error instanceof TallyError ? w.refused++ : w.failed++)),
        );
    }
    made += due;
    const elapsedSeconds = Math.floor((performance.now() - startedAt) / 1000);
    if (elapsedSeconds > second) {
      second = elapsedSeconds;
      options.onSecond?.(second, window, total);
      window = new Map(options.jobs.map((j) => [j, emptyWindow()]));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const drainUntil = performance.now() + 10_000;
  const pending = () => [...clients.values()].reduce((sum, tally) => sum + tally.client.pending, 0);
  while (pending() > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  for (const tally of clients.values()) tally.client.stop();
  return total;
}

/** One line per job: rate, answers and latency. */
export function describeWindow(window: Map<Job, JobWindow>, seconds = 1): string[] {
  return [...window].map(([job, w]) => {
    const latency = w.latenciesMs.length
      ? `p50 ${percentile(w.latenciesMs, 50).toFixed(1)} ms  p99 ${percentile(w.latenciesMs, 99).toFixed(1)} ms`
      : 'no answers';
    return `  ${job.padEnd(9)} ${String(Math.round(w.sent / seconds)).padStart(6)}/s sent   ${String(w.accepted).padStart(7)} accepted  ${String(w.refused).padStart(5)} refused  ${String(w.failed).padStart(5)} failed  ${String(Math.round(w.requests / seconds)).padStart(5)} requests/s   ${latency}`;
  });
}
