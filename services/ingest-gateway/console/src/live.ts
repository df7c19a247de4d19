import type { ConsoleView } from './view';

export type LiveStatus = 'live' | 'reconnecting' | 'refused';

export interface LiveHandlers {
  onView(view: ConsoleView): void;
  /** `problem`: why the gateway refused the stream (a bad choice, e.g. an id with a space), to show the user. */
  onStatus(status: LiveStatus, problem?: string): void;
}

/** How long to wait before reopening a stream the browser gave up on (it retries transient drops itself). */
const REOPEN_AFTER_MS = 2000;

const eventsUrl = `${import.meta.env.BASE_URL}events`;

/**
 * Subscribes to the gateway's console stream for one selection; returns the unsubscribe function.
 * Every `state` message is the full view, so a dropped message costs nothing but a moment of staleness.
 */
export function subscribe(params: URLSearchParams, handlers: LiveHandlers): () => void {
  let source: EventSource | undefined;
  let reopenTimer: ReturnType<typeof setTimeout> | undefined;

  const onState = (event: MessageEvent<string>) => {
    try {
      handlers.onView(JSON.parse(event.data) as ConsoleView);
    } catch (error) {
      console.warn('console: a state message was not JSON', error);
    }
  };

  const url = `${eventsUrl}?${params.toString()}`;
  const open = () => {
    const current = new EventSource(url);
    source = current;
    current.onopen = () => handlers.onStatus('live');
    current.addEventListener('state', onState);
    current.onerror = () => {
      handlers.onStatus('reconnecting');
      // CLOSED means the browser will not retry (the server answered with an error status): ask why once;
      // a refused choice (4xx) waits for the user to change it, anything else is tried again
      if (current.readyState === EventSource.CLOSED) void refusal(url).then((problem) => (problem ? handlers.onStatus('refused', problem) : (reopenTimer = setTimeout(open, REOPEN_AFTER_MS))));
    };
  };

  handlers.onStatus('reconnecting');
  open();
  return () => {
    clearTimeout(reopenTimer);
    source?.close();
  };
}

/** The gateway's message when it refuses the stream with a 4xx; undefined when it would be worth trying again. */
async function refusal(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' } });
    if (response.status < 400 || response.status >= 500) {
      await response.body?.cancel();
      return undefined;
    }
    const body = (await response.json().catch(() => ({}))) as { message?: unknown };
    return typeof body.message === 'string' ? body.message : `the gateway answered ${response.status}`;
  } catch {
    return undefined;
  }
}
