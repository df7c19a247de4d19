/**
 * Live reads: a text/event-stream read with fetch(), since EventSource cannot send an Authorization header (and a
 * key in the URL would end up in logs), reconnecting as EventSource does and as the API's answers ask.
 */
import { TallyError } from './errors.js';
import { platformFetch } from './http.js';
import { currentPage, type PageEvents } from './page.js';
import { retryAfterMs } from './retry.js';
import { SseParser } from './sse.js';

export type LiveStatus = 'live' | 'reconnecting' | 'refused';

/** Why the server refused a stream or makes it wait: the status, the API error's message and the fields it names. */
export interface LiveProblem {
  status: number;
  message: string;
  fields: string[];
}

export interface SubscribeOptions {
  /** Sent with every request: `authorization: Bearer <key>`. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  onEvent(type: string, data: string): void;
  /**
   * `reconnecting` until the stream is open and whenever it is not (with the problem when the server said one),
   * `live` while it is, `refused` once for good: a 4xx other than 429 (401 or 403: the key; 400: the query).
   */
  onStatus?(status: LiveStatus, problem?: LiveProblem): void;
  setTimeout?(run: () => void, ms: number): unknown;
  clearTimeout?(handle: unknown): void;
}

/** The wait before reopening, until the server's `retry:` line says another. */
const RETRY_MS = 1000;
/** The least wait after a 429 or 5xx without Retry-After. */
const AFTER_ERROR_MS = 2000;
const MAX_WAIT_MS = 30_000;

/**
 * Reads the event stream at `url` until the returned function is called. A stream that ends or fails is opened
 * again after the server's `retry:` delay, doubled on each failure in a row up to 30 s (and back to the delay once
 * a stream was live); a 429 or 5xx after its Retry-After (else at least 2 s); a refusal is final.
 */
export function subscribeEvents(url: string | URL, options: SubscribeOptions): () => void {
  const {
    onEvent,
    onStatus = () => undefined,
    fetch: send = platformFetch,
    setTimeout: later = (run, ms) => setTimeout(run, ms),
    clearTimeout: cancel = (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  } = options;
  const stopped = new AbortController();
  let retryMs = RETRY_MS;
  let failures = 0;
  let timer: unknown;
  // at least 100 ms, so a `retry: 0` does not spin while the network is down
  const backoff = () => Math.min(MAX_WAIT_MS, Math.max(retryMs, 100) * 2 ** failures++);
  /** Retry-After (seconds or an HTTP date); without it, the backoff but at least 2 s. */
  const retryAfter = (header: string | null) => retryAfterMs(header, Date.now()) || Math.max(AFTER_ERROR_MS, backoff());

  const open = async () => {
    let problem: LiveProblem | undefined;
    let wait: number | undefined;
    try {
      const response = await send(url, {
        headers: { accept: 'text/event-stream', ...options.headers },
        signal: stopped.signal,
        // a browser's cache (Node's types lack the option, its fetch accepts it)
        ...{ cache: 'no-store' },
      });
      if (response.ok) {
        failures = 0;
        onStatus('live');
        const events = new SseParser({ onEvent, onRetry: (ms) => (retryMs = ms) });
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        try {
          for (let read = await reader.read(); !read.done; read = await reader.read())
            events.push(decoder.decode(read.value, { stream: true }));
        } finally {
          // an onEvent that threw leaves the stream open: close it before opening another
          reader.cancel().catch(() => undefined);
        }
      } else {
        problem = await problemOf(response);
        const { status, headers } = response;
        // -1: refused for good
        wait = status === 429 || status >= 500 ? retryAfter(headers.get('retry-after')) : -1;
      }
    } catch {
      // the network failed or the stream dropped mid-way; or it was stopped
    }
    if (stopped.signal.aborted) return;
    if (wait === -1) return onStatus('refused', problem);
    onStatus('reconnecting', problem);
    timer = later(() => void open(), wait ?? backoff());
  };

  onStatus('reconnecting');
  void open();
  return () => {
    cancel(timer);
    stopped.abort();
  };
}

/** The API's error body, read as every refusal is: its message, and the fields it names (a refused choice). */
async function problemOf(response: Response): Promise<LiveProblem> {
  const { status, message, details } = new TallyError(response.status, await response.json().catch(() => ({})));
  return { status, message, fields: details.map((detail) => detail.field) };
}

/**
 * The gateway's console stream: the whole view for a selection (`streams` as a comma list, `metric`, `window`,
 * `queue`, `poll`, `wallet`; empty values left out), again on every change. The key needs the `console:read`
 * scope: an operator's key, never one shipped in an app. A state that is not JSON is skipped (the next replaces it).
 */
export function subscribeConsole(
  baseUrl: string | URL,
  apiKey: string,
  selection: Record<string, string | undefined>,
  onView: (view: unknown) => void,
  onStatus?: SubscribeOptions['onStatus'],
  options?: Pick<SubscribeOptions, 'fetch' | 'setTimeout' | 'clearTimeout'>,
): () => void {
  const query = new URLSearchParams(Object.entries(selection).filter((entry): entry is [string, string] => !!entry[1]));
  return subscribeEvents(`${String(baseUrl).replace(/\/$/, '')}/console/events?${query}`, {
    ...options,
    headers: { authorization: `Bearer ${apiKey}` },
    onStatus,
    onEvent: (type, data) => {
      if (type !== 'state') return;
      let view: unknown;
      try {
        view = JSON.parse(data);
      } catch {
        return;
      }
      onView(view);
    },
  });
}

export interface FollowReadOptions {
  /** How often to read while the page is visible, ms (default 2000: public reads are rate limited per address). */
  everyMs?: number;
  /** A read failed; it is tried again after the Retry-After it carried, or a doubling wait up to 30 s. */
  onError?(error: unknown): void;
  /** The page whose visibility pauses the reads (default: this page, when there is one). */
  page?: PageEvents;
}

/**
 * Live public aggregates (a stream's viewers, an item's counts, a poll's results) for any page: `read` again
 * and again, each answer to `onValue`, until the returned function is called. Reads pause while the page is
 * hidden and start again at once when it is back, so a background tab costs nothing; a failed read waits for
 * its Retry-After (a TallyError's 429 or 503), else a doubling backoff. No key needed: these reads are open.
 *
 *   const stop = followRead(() => tally.items.counts('song-1'), (counts) => render(counts.likes));
 */
export function followRead<T>(
  read: () => Promise<T>,
  onValue: (value: T) => void,
  options: FollowReadOptions = {},
): () => void {
  const page = options.page ?? currentPage();
  const hidden = () => page?.document?.visibilityState === 'hidden';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let stopped = false;
  const next = (ms: number) => {
    clearTimeout(timer);
    if (!stopped && !hidden()) timer = setTimeout(() => void once(), ms);
  };
  const once = async () => {
    try {
      onValue(await read());
      failures = 0;
      next(options.everyMs ?? 2000);
    } catch (error) {
      options.onError?.(error);
      const asked = retryAfterMs((error as Partial<TallyError>).retryAfter, Date.now()) ?? 0;
      next(Math.max(asked, Math.min(MAX_WAIT_MS, 1000 * 2 ** failures++)));
    }
  };
  const visibility = () => next(0);
  page?.addEventListener('visibilitychange', visibility);
  next(0);
  return () => {
    stopped = true;
    clearTimeout(timer);
    page?.removeEventListener('visibilitychange', visibility);
  };
}
