import type { ErrorCode } from './generated/contract.js';
import { isErrorCode, isRetriable } from './retry.js';

/** What was wrong with one part of a request: `body.seq`, `items.3.sessionId`. */
export interface ErrorDetail {
  field: string;
  message: string;
}

/**
 * A write or read Tally refused, as the API said it: its error code (one of the closed list in
 * @tally/contracts), whether sending the same request again may succeed, the message and the details. A status
 * with no Tally body (a proxy's 502 page) keeps its status with the code `unlisted`.
 */
export class TallyError extends Error {
  readonly code: ErrorCode | 'unlisted';
  readonly retriable: boolean;
  readonly details: ErrorDetail[];

  constructor(
    readonly status: number,
    body: unknown,
    /** The answer's Retry-After header, when it had one (429, 503). */
    readonly retryAfter?: string | null,
  ) {
    const parsed = body as { error?: unknown; message?: unknown; details?: unknown } | undefined;
    super(typeof parsed?.message === 'string' ? parsed.message : `HTTP ${status}`);
    this.name = 'TallyError';
    this.code = isErrorCode(parsed?.error) ? parsed.error : 'unlisted';
    this.retriable = isRetriable({ status, code: this.code });
    this.details = Array.isArray(parsed?.details) ? (parsed.details as ErrorDetail[]) : [];
  }
}
