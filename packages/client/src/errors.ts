import { ERROR_CODES, isErrorCode, type ErrorCode, type ErrorDetail } from '@tally/contracts';

/**
 * A write or read Tally refused, as the API said it: its error code (one of the closed list in
 * @tally/contracts), whether sending the same request again may succeed, the message and the details. A status
 * with no Tally body (a proxy's 502 page) keeps its status with the code `unlisted`.
 */
export class TallyError extends Error {
  readonly code: ErrorCode | 'unlisted';
  readonly retriable: boolean;

  constructor(
    readonly status: number,
    body: unknown,
  ) {
    const parsed = body as { error?: unknown; message?: unknown; details?: unknown } | undefined;
    const code = isErrorCode(parsed?.error) ? parsed.error : 'unlisted';
    super(typeof parsed?.message === 'string' ? parsed.message : `HTTP ${status}`);
    this.name = 'TallyError';
    this.code = code;
    this.retriable = code === 'unlisted' ? [408, 429, 502, 503, 504].includes(status) : ERROR_CODES[code].retriable;
    this.details = Array.isArray(parsed?.details) ? (parsed.details as ErrorDetail[]) : [];
  }

  readonly details: ErrorDetail[];
}
