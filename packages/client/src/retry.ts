/**
 * When a write is sent again: a write keeps its (source, seq) on every attempt, so sending it again can never
 * count it twice, and the only question is when. Exponential backoff with full jitter (each wait a random time up
 * to base·2^attempt, capped), so clients that failed together do not come back together; the server's
 * Retry-After, when it says one, is a floor.
 */
import { ERROR_CODE_RETRIABLE, type ErrorCode } from './generated/contract.js';

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 250, maxMs: 30_000 };

/** Statuses a request may succeed on when sent again, whatever the body says (a proxy's answer has none of ours). */
const RETRIABLE_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Whether to send the same write again. With Tally's error code, its contract decides (`internal` is 500 but not
 * retriable: the same request would fail the same way); without one, the status does. No answer at all (the
 * network) is always worth another try.
 */
export function isRetriable(answer: { status: number; code?: unknown } | 'network'): boolean {
  if (answer === 'network') return true;
  if (isErrorCode(answer.code)) return ERROR_CODE_RETRIABLE[answer.code];
  return RETRIABLE_STATUSES.has(answer.status);
}

/** Retry-After as milliseconds from `now`: seconds, or an HTTP date; undefined if absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before attempt `attempt + 1` (attempt 0 is the first send), never below the server's Retry-After. */
export function nextDelay(
  attempt: number,
  backoff: Backoff = DEFAULT_BACKOFF,
  random: () => number = Math.random,
  retryAfter?: number,
): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfter ?? 0);
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODE_RETRIABLE, code);
}
