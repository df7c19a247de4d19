import type { ConsoleView } from './view';

export type LiveStatus = 'live' | 'reconnecting';

export interface LiveHandlers {
  onView(view: ConsoleView): void;
  onStatus(status: LiveStatus): void;
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

  const open = () => {
    const current = new EventSource(`${eventsUrl}?${params.toString()}`);
    source = current;
    current.onopen = () => handlers.onStatus('live');
    current.addEventListener('state', onState);
    current.onerror = () => {
      handlers.onStatus('reconnecting');
      // CLOSED means the browser will not retry (e.g. the server answered with an error status): we do.
      if (current.readyState === EventSource.CLOSED) reopenTimer = setTimeout(open, REOPEN_AFTER_MS);
    };
  };

  handlers.onStatus('reconnecting');
  open();
  return () => {
    clearTimeout(reopenTimer);
    source?.close();
  };
}
