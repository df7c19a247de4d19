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
  wordViolations(
    where,
    violations.filter((violation) => !echoesTag(violation, violations)),
    formatProblem,
  );

/**
 * A tagged shape (a group member, by its type) with a bad or missing tag is told so by the tag's own rule (its
 * enum, or required); the discriminator's second word on the same tag only repeats it, in Ajv's words.
 */
function echoesTag(violation: SchemaViolation, all: readonly SchemaViolation[]): boolean {
  if (violation.keyword !== 'discriminator') return false;
  const tag = violation.params.tag;
  return all.some(
    (other) =>
      other.instancePath === `${violation.instancePath}/${String(tag)}` ||
      (other.instancePath === violation.instancePath && other.params.missingProperty === tag),
  );
}
