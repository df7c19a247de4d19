import { subscribeEvents, type LiveStatus } from '@tally/client/live';
import { keyHeaders } from './key';
import type { ConsoleView } from './view';

export type { LiveStatus };

export interface LiveHandlers {
  onView(view: ConsoleView): void;
  /** `problem`: why the gateway refused the stream (a bad choice, e.g. an id with a space) or makes it wait. */
  onStatus(status: LiveStatus, problem?: string): void;
  /** The gateway refused the key itself (401, or 403 for what the key may do): the page asks for another. */
  onKeyRefused(reason: string): void;
}

const eventsUrl = `${import.meta.env.BASE_URL}events`;

/**
 * Subscribes to the gateway's console stream for one selection, with the operator's key; returns the unsubscribe
 * function. The SDK's subscribeEvents reads the stream with fetch() (EventSource cannot send the key) and reopens
 * it as the gateway says: after its `retry` delay when it drops, after Retry-After (or 2 s) on a 429 or 5xx, never
 * on a 4xx. Every `state` message is the full view, so a dropped message costs only staleness.
 */
export function subscribe(params: URLSearchParams, key: string, handlers: LiveHandlers): () => void {
  return subscribeEvents(`${eventsUrl}?${params.toString()}`, {
    headers: keyHeaders(key),
    onEvent: (type, data) => {
      if (type !== 'state') return;
      try {
        handlers.onView(JSON.parse(data) as ConsoleView);
      } catch (error) {
        console.warn('console: a state message was not JSON', error);
      }
    },
    onStatus: (status, problem) => {
      // a refused key rather than a refused choice (a 403 naming a field: a wallet the key may not read)
      if (status === 'refused' && (problem?.status === 401 || (problem?.status === 403 && !problem.fields.length)))
        return handlers.onKeyRefused(problem.message);
      handlers.onStatus(status, problem?.message);
    },
  });
}
