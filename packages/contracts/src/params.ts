import { MAX_SEQ, SOURCE_MAX_LENGTH, SOURCE_PATTERN } from './write-ids.js';

/**
 * The parameters every service reads alike, as patterns and as JSON schemas: the gateway refuses a bad one
 * before it asks the owner, and the owner refuses it the same way when asked directly.
 */

const described = (description: string | undefined) => (description === undefined ? {} : { description });

/**
 * Ids (stream, item, session, user, queue, poll) are opaque to us, but bounded and URL-safe so they can be Kafka
 * keys and path segments.
 */
export const ID_PATTERN = /^[A-Za-z0-9._:@-]+$/;
export const ID_MAX_LENGTH = 128;

export const idParam = (description?: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength: ID_MAX_LENGTH,
    pattern: ID_PATTERN.source,
    ...described(description),
  }) as const;

/**
 * A queue ticket's id as the gateway names it and the queue-admitter stores it: `t_` and 32 hex digits (128
 * bits, keyed by the gateway's TICKET_KEY so no one else can compute one). 24 hex digits: a ticket from before
 * ids were keyed.
 */
export const TICKET_ID_PATTERN = /^t_([0-9a-f]{24}|[0-9a-f]{32})$/;

export const ticketIdParam = (description?: string) =>
  ({ type: 'string', pattern: TICKET_ID_PATTERN.source, ...described(description) }) as const;

/** An admission token is a JWT: base64url parts joined by dots. Checked before verifying, so junk is refused early. */
export const ADMISSION_TOKEN_PATTERN = /^[A-Za-z0-9_.-]+$/;
export const MAX_ADMISSION_TOKEN_LENGTH = 2048;

export const admissionTokenParam = (description?: string) =>
  ({
    type: 'string',
    minLength: 1,
    maxLength: MAX_ADMISSION_TOKEN_LENGTH,
    pattern: ADMISSION_TOKEN_PATTERN.source,
    ...described(description),
  }) as const;

const SEQ_DIGITS = String(MAX_SEQ).length;

/**
 * A write's id as it was answered, `<source>:<seq>` (formatWriteKey): the seq without leading zeros. The pattern
 * bounds the seq's digits only; whether it is at most MAX_SEQ is parseWriteKey's to say.
 */
export const WRITE_ID_PATTERN = new RegExp(
  `^${SOURCE_PATTERN.source.slice(1, -1)}:(0|[1-9][0-9]{0,${SEQ_DIGITS - 1}})$`,
);
export const WRITE_ID_MAX_LENGTH = SOURCE_MAX_LENGTH + 1 + SEQ_DIGITS;

export const writeIdParam = (description?: string) =>
  ({
    type: 'string',
    maxLength: WRITE_ID_MAX_LENGTH,
    pattern: WRITE_ID_PATTERN.source,
    ...described(description),
  }) as const;

/** A counter's name as a ranking names it: likes, views, or a counter's own name. */
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** The most items a list read (a ranking, a wallet's history) answers at once. */
export const MAX_LIST_LIMIT = 100;

export const listLimit = (defaultLimit: number, description?: string) =>
  ({
    type: 'integer',
    minimum: 1,
    maximum: MAX_LIST_LIMIT,
    default: defaultLimit,
    ...described(description),
  }) as const;

/** The largest time a JavaScript Date holds (epoch ms); a read's range beyond it is a mistake. */
export const MAX_EPOCH_MS = 8_640_000_000_000;

export const epochMsParam = (description?: string) =>
  ({ type: 'integer', minimum: 0, maximum: MAX_EPOCH_MS, ...described(description) }) as const;
