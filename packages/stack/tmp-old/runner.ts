import { setupRequests, trafficOf, type Job, type LoadRequest } from './traffic.js';

export interface LoadOptions {
  baseUrl: string;
  apiKey: string;
  /** Requests per second over all jobs, shared equally. */
  rate: number;
  /** 0: until the signal aborts. */
  seconds: number;
  jobs: readonly Job[];
  /** Requests in flight at most; beyond it the run falls behind rather than piling up sockets. */
  concurrency?: number;
  run?: string;
  /** Called once a second with what happened in that second. */
  onSecond?: (second: number, window: Map<Job, JobWindow>, total: Map<Job, JobWindow>) => void;
  signal?: AbortSignal;
}

export interface JobWindow {
  sent: number;
  accepted: number;
  refused: number;
  failed: number;
  latenciesMs: number[];
}

const emptyWindow = (): JobWindow => ({ sent: 0, accepted: 0, refused: 0, failed: 0, latenciesMs: [] });

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

/**
 * Sends the jobs' traffic to the gateway at `rate` requests per second (open loop: the schedule does not wait
 * for answers, as real clients do not), counting answers per job: accepted (2xx), refused (4xx), failed (5xx or
 * no answer). Returns the totals.
 */
export async function runLoad(options: LoadOptions): Promise<Map<Job, JobWindow>> {
  const run = options.run ?? Date.now().toString(36);
  const concurrency = options.concurrency ?? 64;
  const headers = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' };
  const total = new Map(options.jobs.map((j) => [j, emptyWindow()]));
  let window = new Map(options.jobs.map((j) => [j, emptyWindow()]));
  let inFlight = 0;

  const send = async (request: LoadRequest) => {
    const started = performance.now();
    inFlight++;
    let outcome: 'accepted' | 'refused' | 'failed' = 'failed';
    try {
      const response = await fetch(`${options.baseUrl}${request.path}`, {
        method: request.method,
        headers,
        body: JSON.stringify(request.body),
      });
      await response.arrayBuffer();
      outcome = response.status < 300 ? 'accepted' : response.status < 500 ? 'refused' : 'failed';
    } catch {
      outcome = 'failed';
    } finally {
      inFlight--;
    }
    for (const w of [window.get(request.job), total.get(request.job)]) {
      if (!w) continue;
      w[outcome]++;
      w.latenciesMs.push(performance.now() - started);
    }
  };

  for (const setup of setupRequests(run)) {
    if (!options.jobs.includes(setup.job)) continue;
    window.get(setup.job)!.sent++;
    total.get(setup.job)!.sent++;
    await send(setup);
  }
  const next = new Map(options.jobs.map((j) => [j, trafficOf(j, { run })]));
  const startedAt = performance.now();
  let sent = 0;
  let second = 0;
  let turn = 0;
  while (
    !options.signal?.aborted &&
    (options.seconds === 0 || performance.now() - startedAt < options.seconds * 1000)
  ) {
    const due = Math.floor((options.rate * (performance.now() - startedAt)) / 1000) - sent;
    for (let i = 0; i < due && inFlight < concurrency; i++) {
      const job = options.jobs[turn++ % options.jobs.length]!;
      const request = next.get(job)!();
      window.get(job)!.sent++;
      total.get(job)!.sent++;
      void send(request);
    }
    // what could not go out for lack of sockets is skipped, not queued: the rate shows the shortfall
    sent += due;
    const elapsedSeconds = Math.floor((performance.now() - startedAt) / 1000);
    if (elapsedSeconds > second) {
      second = elapsedSeconds;
      options.onSecond?.(second, window, total);
      window = new Map(options.jobs.map((j) => [j, emptyWindow()]));
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const drainUntil = performance.now() + 10_000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 20));
  return total;
}

/** One line per job: rate, answers and latency. */
export function describeWindow(window: Map<Job, JobWindow>, seconds = 1): string[] {
  return [...window].map(([job, w]) => {
    const latency = w.latenciesMs.length
      ? `p50 ${percentile(w.latenciesMs, 50).toFixed(1)} ms  p99 ${percentile(w.latenciesMs, 99).toFixed(1)} ms`
      : 'no answers';
    return `  ${job.padEnd(9)} ${String(Math.round(w.sent / seconds)).padStart(6)}/s sent   ${String(w.accepted).padStart(7)} accepted  ${String(w.refused).padStart(5)} refused  ${String(w.failed).padStart(5)} failed   ${latency}`;
  });
}
