import { InvalidWriteKeyError, formatWriteKey, parseWriteKey } from '@tally/contracts';

// ids (stream, item, session, user) are bounded and URL-safe by the contract's one rule, which every service checks
export { ID_PATTERN as ID_CHARSET, ID_MAX_LENGTH } from '@tally/contracts';

/**
 * Why `id` is not the id of a write as the gateway answers it ("<source>:<seq>"), or undefined when it is.
 * Only the canonical spelling is taken ("app:7", never "app:007"), so one write has one id everywhere.
 */
export function writeIdProblem(id: string): string | undefined {
  try {
    if (formatWriteKey(parseWriteKey(id)) === id) return undefined;
    return 'must be written as the write was answered, without leading zeros in the seq';
  } catch (error) {
    if (!(error instanceof InvalidWriteKeyError)) throw error;
    return 'must be "<source>:<seq>": 1-64 characters of A-Z a-z 0-9 . _ : -, a colon, and a seq from 0 to 2^53-2';
  }
}
