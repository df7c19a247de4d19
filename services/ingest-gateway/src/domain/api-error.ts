import { invalidRequest as wordViolations, type ApiError, type SchemaViolation } from '@tally/contracts';
import { formatProblem } from './string-formats.js';

/**
 * The API's error shape and codes are the contract's (@tally/contracts): one closed list every service answers
 * from. What the gateway adds is its own string formats (an amount, a write id), worded when a request breaks one.
 */
export {
  apiError,
  invalidFields,
  type ApiError,
  type ErrorCode,
  type ErrorDetail,
  type SchemaViolation,
} from '@tally/contracts';

/** Turns schema violations found in `where` (body, querystring, params, items.3) into the API error. */
export const invalidRequest = (where: string, violations: readonly SchemaViolation[]): ApiError =>
  wordViolations(where, violations, formatProblem);
