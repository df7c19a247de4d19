import { apiError, type ApiError, type ErrorDetail } from './errors.js';

/** The parts of a JSON-schema (Ajv) error we read; kept structural so no validator is needed to word one. */
export interface SchemaViolation {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  /** The offending value (Ajv's `verbose`): only read to say what is wrong with a formatted string, never echoed. */
  data?: unknown;
}

/** What is wrong with `value` under a named string format, or undefined when nothing is (or the format is not known). */
export type FormatProblem = (format: string, value: unknown) => string | undefined;

/** Enough to fix a request; more would let one bad batch item make a megabyte of answer. */
const MAX_DETAILS = 20;

/**
 * Turns schema violations found in `where` (body, querystring, params, items.3) into the API error, each field
 * named and its problem worded, so every service words a refused request alike.
 */
export function invalidRequest(
  where: string,
  violations: readonly SchemaViolation[],
  formatProblem?: FormatProblem,
): ApiError {
  if (violations.length === 0) return apiError('invalid_request', `the request is invalid: the ${where} is invalid`);
  return invalidFields(violations.map((v) => ({ field: fieldOf(where, v), message: problemOf(v, formatProblem) })));
}

/**
 * The same answer for problems found past the schema, by rules that depend on the deployment (a region it does
 * not take votes for): worded and capped like a schema violation, so a client reads both alike.
 */
export function invalidFields(problems: readonly ErrorDetail[]): ApiError {
  const details = problems.slice(0, MAX_DETAILS);
  const first = details[0];
  if (!first) return apiError('invalid_request', 'the request is invalid');
  const more = problems.length - 1;
  return apiError(
    'invalid_request',
    `the request is invalid: ${first.field} ${first.message}${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}`,
    details,
  );
}

function fieldOf(where: string, violation: SchemaViolation): string {
  const path = violation.instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  const named = violation.params.missingProperty ?? violation.params.additionalProperty;
  if (typeof named === 'string') path.push(named);
  return [where, ...path].join('.');
}

const entries = (limit: unknown) => `${String(limit)} ${limit === 1 ? 'entry' : 'entries'}`;

const articles: Record<string, string> = { integer: 'an integer', object: 'an object', array: 'an array' };

function problemOf({ keyword, params, message, data }: SchemaViolation, formatProblem?: FormatProblem): string {
  switch (keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return 'is not a known field';
    case 'type': {
      const type = String(params.type);
      return `must be ${articles[type] ?? `a ${type.replace(/,/g, ' or ')}`}`;
    }
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'pattern':
      return `must match ${String(params.pattern)}`;
    case 'minimum':
      return `must be at least ${String(params.limit)}`;
    case 'maximum':
      return `must be at most ${String(params.limit)}`;
    case 'exclusiveMinimum':
      return `must be above ${String(params.limit)}`;
    case 'minLength':
      return `must be at least ${String(params.limit)} characters long`;
    case 'maxLength':
      return `must be at most ${String(params.limit)} characters long`;
    case 'minItems':
      return `must hold at least ${String(params.limit)} items`;
    case 'maxItems':
      return `must hold at most ${String(params.limit)} items`;
    case 'minProperties':
      return `must have at least ${entries(params.limit)}`;
    case 'maxProperties':
      return `must have at most ${entries(params.limit)}`;
    case 'uniqueItems': {
      const [first, second] = [Number(params.i), Number(params.j)].sort((a, b) => a - b);
      return `must not repeat an item (items ${first} and ${second} are the same)`;
    }
    case 'format':
      return formatProblem?.(String(params.format), data) ?? message ?? 'is invalid';
    default:
      return message ?? 'is invalid';
  }
}
