import { keyHeaders } from './key';
import { SseParser } from './sse';
import type { ConsoleView } from './view';

export type LiveStatus = 'live' | 'reconnecting' | 'refused';

export interface LiveHandlers {
  onView(view: ConsoleView): void;
  /** `problem`: why the gateway refused the stream (a bad choice, e.g. an id with a space) or makes it wait. */
  onStatus(status: LiveStatus, problem?: string): void;
  /** The gateway refused the key itself (401, or 403 for what the key may do): the page asks for another. */
  onKeyRefused(reason: string): void;
}

/** How soon to reopen a dropped stream until the gateway says otherwise (its `retry:` line). */
const DEFAULT_RETRY_MS = 1000;
/** How long to wait before reopening after the gateway answered an error that may pass (5xx) without Retry-After. */
const REOPEN_AFTER_MS = 2000;

const eventsUrl = `${import.meta.env.BASE_URL}events`;

/**
 * Subscribes to the gateway's console stream for one selection, with the operator's key; returns the unsubscribe
 * function. EventSource cannot send an Authorization header (and a key in the URL would end up in logs), so the
 * stream is read with fetch() and parsed here, reconnecting like EventSource: after the server's `retry` delay
 * when the stream drops. Every `state` message is the full view, so a dropped message costs only staleness.
 */
export function subscribe(params: URLSearchParams, key: string, handlers: LiveHandlers): () => void {
  const stopped = new AbortController();
  let retryMs = DEFAULT_RETRY_MS;
  let reopenTimer: ReturnType<typeof setTimeout> | undefined;
  const url = `${eventsUrl}?${params.toString()}`;

  const reopen = (afterMs: number) => {
    if (!stopped.signal.aborted) reopenTimer = setTimeout(() => void open(), afterMs);
  };

  const parser = () =>
    new SseParser({
      onEvent: (type, data) => {
        if (type !== 'state') return;
        try {
          handlers.onView(JSON.parse(data) as ConsoleView);
        } catch (error) {
          console.warn('console: a state message was not JSON', error);
        }
      },
      onRetry: (ms) => (retryMs = ms),
    });

  const open = async () => {
    try {
      const response = await fetch(url, {
        headers: { accept: 'text/event-stream', ...keyHeaders(key) },
        cache: 'no-store',
        signal: stopped.signal,
      });
      if (!response.ok) return await refused(response);
      handlers.onStatus('live');
      const events = parser();
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      for (let read = await reader.read(); !read.done; read = await reader.read())
        events.push(decoder.decode(read.value, { stream: true }));
    } catch {
      // the network failed or the stream dropped mid-way; or we stopped it
    }
    if (stopped.signal.aborted) return;
    // the stream ended (the gateway restarting): try again after its retry delay, as EventSource does
    handlers.onStatus('reconnecting');
    reopen(retryMs);
  };

  /** A 4xx names what to change and waits for it; a 429 or 5xx is tried again later. */
  const refused = async (response: Response) => {
    const problem = await problemOf(response);
    if (response.status === 401 || (response.status === 403 && problem.fields.length === 0))
      return handlers.onKeyRefused(problem.message);
    if (response.status === 429 || response.status >= 500) {
      handlers.onStatus('reconnecting', problem.message);
      const seconds = Number(response.headers.get('retry-after'));
      return reopen(seconds > 0 ? seconds * 1000 : REOPEN_AFTER_MS);
    }
    // a bad choice (400) or a wallet the key may not read (403 naming the field)
    handlers.onStatus('refused', problem.message);
  };

  handlers.onStatus('reconnecting');
  void open();
  return () => {
    clearTimeout(reopenTimer);
    stopped.abort();
  };
}

/** The API's error body: its message, and the fields it names (a refused choice rather than a refused key). */
async function problemOf(response: Response): Promise<{ message: string; fields: string[] }> {
  const body = (await response.json().catch(() => ({}))) as { message?: unknown; details?: unknown };
  const message = typeof body.message === 'string' ? body.message : `the gateway answered ${response.status}`;
  const fields = Array.isArray(body.details)
    ? body.details.flatMap((d: { field?: unknown }) => (typeof d.field === 'string' ? [d.field] : []))
    : [];
  return { message, fields };
}
