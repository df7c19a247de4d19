/**
 * The public error codes: every code a Tally service answers, closed. Each goes out with one HTTP status, says
 * whether the same request sent again may succeed (`retriable`: every write carries its (source, seq), so a
 * retried write never counts twice), and what it means. The gateway passes its read owners' answers through
 * unchanged, so an owner's codes are public too.
 */
export interface ErrorCodeContract {
  status: number;
  retriable: boolean;
  meaning: string;
  /**
   * Fields its answer carries besides error, message and details, for a code whose answer is also a result (the
   * write an id_reused names). None for every other code: the error shape stays the one shape.
   */
  extraFields?: readonly string[];
}

const code = <T extends ErrorCodeContract>(contract: T): T => contract;

export const ERROR_CODES = {
  invalid_request: code({
    status: 400,
    retriable: false,
    meaning: 'A field, parameter or the URL breaks the API’s rules; the details say which and why',
  }),
  invalid_range: code({
    status: 400,
    retriable: false,
    meaning: 'Each parameter is valid but together they ask for too much or nothing (a history range)',
  }),
  malformed_json: code({ status: 400, retriable: false, meaning: 'The body is not JSON, or is empty' }),
  unauthorized: code({ status: 401, retriable: false, meaning: 'No API key was sent, or not a valid one' }),
  forbidden: code({
    status: 403,
    retriable: false,
    meaning: 'The key (or ticket secret) may not do this, or not for this user or queue',
  }),
  not_found: code({ status: 404, retriable: false, meaning: 'No such route, or nothing by that id (yet)' }),
  id_reused: code({
    status: 409,
    retriable: false,
    meaning:
      'This (source, seq) was already used for a different write; the first one stands, and the details name the field that differs',
    // the answer is also the write's outcome as the ledger gave it: its id, rejected, and the ledger's reason
    extraFields: ['id', 'status', 'reason'],
  }),
  request_timeout: code({ status: 408, retriable: true, meaning: 'The request did not arrive in time' }),
  payload_too_large: code({ status: 413, retriable: false, meaning: 'The body is larger than the route accepts' }),
  unsupported_media_type: code({ status: 415, retriable: false, meaning: 'The body is not sent as application/json' }),
  rate_limited: code({
    status: 429,
    retriable: true,
    meaning: 'Too many requests or connections; retry after the Retry-After seconds',
  }),
  internal: code({ status: 500, retriable: false, meaning: 'The service failed unexpectedly; it has been logged' }),
  bad_gateway: code({
    status: 502,
    retriable: true,
    meaning: 'The service owning the data answered with something that is not JSON',
  }),
  unavailable: code({
    status: 503,
    retriable: true,
    meaning: 'A dependency (Kafka, a store, the owning service) cannot serve right now; retry shortly',
  }),
} as const satisfies Record<string, ErrorCodeContract>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];

export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);

export interface ErrorDetail {
  /** Where: the request part, then the path inside it, e.g. `body.seq` or `items.3.sessionId`. */
  field: string;
  message: string;
}

/** The one error shape of the public API: a stable code for programs, a sentence for people, and what to fix. */
export interface ApiError {
  error: ErrorCode;
  message: string;
  details: ErrorDetail[];
}

/** An error answer before it is sent: the status its code goes out with, and the body. */
export interface Problem {
  status: number;
  body: ApiError;
}

export const apiError = (error: ErrorCode, message: string, details: ErrorDetail[] = []): ApiError => ({
  error,
  message,
  details,
});

/** The answer for `code`, with the status the list gives it: how every service answers an error. */
export const problem = (code: ErrorCode, message: string, details: ErrorDetail[] = []): Problem => ({
  status: ERROR_CODES[code].status,
  body: apiError(code, message, details),
});

/**
 * The answer to a refusal HTTP itself names by its status (a framework's 4xx: a header too large, 431): the
 * listed code for that status when there is one, else invalid_request, and the status is kept as HTTP named it.
 */
export function clientProblem(status: number, message: string): Problem {
  // the first listed with that status: invalid_request for a 400, being the most general
  const listed = ERROR_CODE_NAMES.find((name) => ERROR_CODES[name].status === status);
  return { status, body: apiError(listed ?? 'invalid_request', message) };
}

/**
 * Why an answer is not an error of the list in the API's shape (a code not listed, a status not the code's, a
 * field missing or extra), or undefined when it is one. For tests and tools that judge any service's answers.
 */
export function unlistedProblem(status: number, body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return `the body is not an object: ${JSON.stringify(body)}`;
  const { error, message, details, ...rest } = body as Record<string, unknown>;
  if (!isErrorCode(error)) return `the code ${JSON.stringify(error)} is not listed`;
  // a 4xx HTTP names itself (431) goes out with the code clientProblem gives it
  const namedByHttp = status >= 400 && status < 500 && clientProblem(status, '').body.error === error;
  if (ERROR_CODES[error].status !== status && !namedByHttp)
    return `${error} goes out with ${ERROR_CODES[error].status}, not ${status}`;
  if (typeof message !== 'string' || message === '') return 'the message is not a sentence';
  if (!Array.isArray(details) || !details.every(isErrorDetail)) return 'the details are not a list of {field, message}';
  const allowed: readonly string[] = (ERROR_CODES[error] as ErrorCodeContract).extraFields ?? [];
  const extra = Object.keys(rest).filter((field) => !allowed.includes(field));
  if (extra.length > 0) return `unknown fields: ${extra.join(', ')}`;
  return undefined;
}

/** The body of an error answer that is a listed error; otherwise throws, saying why not (for tests of any service). */
export function listedProblem(response: { statusCode: number; json: () => unknown }): ApiError {
  const body = response.json();
  const why = unlistedProblem(response.statusCode, body);
  if (why !== undefined) throw new Error(`not a listed error answer (${response.statusCode}): ${why}`);
  return body as ApiError;
}

const isErrorDetail = (detail: unknown): detail is ErrorDetail =>
  typeof detail === 'object' &&
  detail !== null &&
  typeof (detail as ErrorDetail).field === 'string' &&
  typeof (detail as ErrorDetail).message === 'string';
