/**
 * Following a ticket in a waiting queue. The server admits; the client only asks, as often as the server says:
 * each ticket answer carries `pollAfterSeconds` (null once the ticket has ended). Asking is also how a holder
 * is seen (a waiting ticket not read for the queue's abandonSeconds is dropped), so the loop keeps asking while
 * it waits. A 404 (the admitter has not read the join yet) and answers that may pass (429, 503) are asked again
 * after the Retry-After the server gives, or a short backoff.
 */
import { TallyError } from './errors.js';
import { DEFAULT_BACKOFF, nextDelay, retryAfterMs } from './retry.js';
import type { Answer } from './types.js';

/** What a join hands its holder: the secret reads the ticket, and nothing else. */
export interface Ticket {
  queueId: string;
  ticketId: string;
  ticketSecret: string;
}

export type TicketView = Answer<'/v1/queues/{queueId}/tickets/{ticketId}'>;

export interface FollowOptions {
  /** Each answer, as it comes: position, waitingTotal, estimatedWaitSeconds. */
  onUpdate?: (view: TicketView) => void;
  signal?: AbortSignal;
}

/** When no hint is given (a server from before the hint). */
const FALLBACK_SECONDS = 5;

/** Reads the ticket (`read`) until it is active (with its admission token) or has ended. */
export async function followTicket(read: () => Promise<TicketView>, options: FollowOptions = {}): Promise<TicketView> {
  for (let failures = 0; ;) {
    let waitMs: number;
    try {
      const view = await read();
      failures = 0;
      options.onUpdate?.(view);
      if (view.status !== 'waiting') return view;
      waitMs = (view.pollAfterSeconds ?? FALLBACK_SECONDS) * 1000;
    } catch (error) {
      const passing = error instanceof TallyError && (error.retriable || error.code === 'not_found');
      if (!passing) throw error;
      waitMs = nextDelay(failures++, DEFAULT_BACKOFF, Math.random, retryAfterMs(error.retryAfter, Date.now()));
    }
    await sleep(waitMs, options.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
}
