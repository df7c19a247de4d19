import {
  ERROR_CODES,
  ERROR_CODE_NAMES,
  MAX_BATCH_ITEMS,
  MAX_SEQ,
  SOURCE_PATTERN,
  epochMsParam,
  idParam,
} from '@tally/contracts';
import { MAX_AT_MS } from '../../domain/event-time.js';
import { MAX_POSITION_MS } from '../../domain/heartbeat.js';

/**
 * JSON schemas of the public routes. They validate requests (Ajv, no coercion of bodies, unknown fields
 * rejected) and are the OpenAPI document at /docs/json, so what is documented is what is enforced.
 */

export const id = (description: string) => idParam(description);

/**
 * The `at` of a write: epoch ms before 2100-01-01 (later is a unit mistake: refused). How services place it is
 * @tally/event-time's rule, stated in every `at`'s description so the API docs say it once per field.
 */
export const eventTime = (description: string) =>
  ({
    type: 'integer',
    minimum: 0,
    exclusiveMaximum: MAX_AT_MS,
    description: `${description}. Placed in time as sent; before 2020 (a clock never set) at the receipt time; later than the receipt, clamped to it; presence and lateness are judged by the receipt time`,
  }) as const;

/** An object whose every field is named: anything else is refused, not dropped. */
export const strictObject = <P extends object, R extends readonly (keyof P & string)[]>(required: R, properties: P) =>
  ({ type: 'object', additionalProperties: false, required, properties }) as const;

/** For routes that take no query: an unknown field is refused here, as in a body, rather than ignored. */
export const noQuery = strictObject([], {});

/** `(source, seq)`: the idempotency key every write carries. */
export const writeKeyFields = {
  source: {
    type: 'string',
    pattern: SOURCE_PATTERN.source,
    description: 'Who sends the write: 1-64 characters of A-Z a-z 0-9 . _ : -',
  },
  // avsc cannot encode a larger long: a seq above MAX_SEQ could never reach Kafka, so it is a 400, not a 503 retried for ever
  seq: {
    type: 'integer',
    minimum: 0,
    maximum: MAX_SEQ,
    description: 'A number this source never reuses; (source, seq) names the write',
  },
} as const;

const heartbeatFields = {
  ...writeKeyFields,
  sessionId: id('The playback session'),
  userId: id('The viewer, when known'),
  positionMs: { type: 'integer', minimum: 0, maximum: MAX_POSITION_MS, description: 'Playback position, ms' },
  at: eventTime('When the player sent it, epoch ms; the receipt time when omitted'),
  state: {
    type: 'string',
    enum: ['playing', 'ended'],
    default: 'playing',
    description: '"ended" removes the session at once',
  },
} as const;

const heartbeatRequired = ['source', 'seq', 'sessionId', 'positionMs'] as const;

export const heartbeatBody = strictObject(heartbeatRequired, heartbeatFields);

export const heartbeatBatchItem = strictObject(['streamId', ...heartbeatRequired], {
  streamId: id('The stream being watched'),
  ...heartbeatFields,
});

/** A batch route's body as the docs show it: 1-1000 items, each of `item` (its single route's body and path). */
export const batchBodyOf = (item: object) =>
  strictObject(['items'], {
    items: { type: 'array', minItems: 1, maxItems: MAX_BATCH_ITEMS, items: item },
  });

/**
 * What the batch route validates as a whole; each item is then validated on its own so one bad item is
 * refused alone instead of failing the batch.
 */
export const batchEnvelope = strictObject(['items'], {
  items: { type: 'array', minItems: 1, maxItems: MAX_BATCH_ITEMS },
});

export const streamParams = strictObject(['streamId'], { streamId: id('The stream') });

/** The same bounds the viewer-aggregator checks, so a bad read is refused here without a round trip. */
export const historyQuery = strictObject(['from', 'to'], {
  from: epochMsParam('Start, epoch ms (inclusive)'),
  to: epochMsParam('End, epoch ms'),
  granularity: { type: 'string', enum: ['minute', 'hour', 'day'], default: 'minute' },
});

/**
 * An owner's answer, documented. A read passes the owner's bytes through as they came (routeRead: never parsed,
 * never serialised here), so this schema describes the answer and does not shape it; it stays open, so any field
 * an owner adds reaches the client too (as the wallet answers do), and what is `required` is what the owner always
 * sends.
 */
export const answerObject = <P extends object>(required: readonly (keyof P & string)[], properties: P) =>
  ({ type: 'object', additionalProperties: true, required, properties }) as const;

/** An instant in an answer: epoch ms. */
export const epochMs = (description: string) => ({ type: 'integer', description: `${description}, epoch ms` }) as const;

/** A count in an answer. */
const count = (description: string) => ({ type: 'integer', description }) as const;

export const viewersAnswer = answerObject(['streamId', 'concurrent', 'windowSeconds', 'asOf'], {
  streamId: { type: 'string', description: 'The stream' },
  concurrent: count(
    'Current viewers: sessions whose newest heartbeat is "playing" and was received within windowSeconds of asOf',
  ),
  windowSeconds: count('How recent a heartbeat must be to count, in seconds (VIEWER_WINDOW_SECONDS; 30 by default)'),
  asOf: epochMs('When they were counted'),
});

export const viewerHistoryAnswer = answerObject(['streamId', 'granularity', 'from', 'to', 'buckets'], {
  streamId: { type: 'string', description: 'The stream' },
  granularity: { type: 'string', enum: ['minute', 'hour', 'day'], description: 'The size of a bucket, as asked' },
  from: epochMs('The start of the range, as asked (inclusive)'),
  to: epochMs('The end of the range, as asked (exclusive)'),
  buckets: {
    type: 'array',
    description:
      'The buckets of [from, to) by event time, oldest first; a bucket in which nobody was watching is left out, not answered as zeros',
    items: answerObject(['start', 'peakConcurrent', 'uniqueViewers', 'heartbeats'], {
      start: {
        type: 'string',
        format: 'date-time',
        description: 'When the bucket starts, UTC (ISO 8601), e.g. 2025-01-01T12:00:00.000Z',
      },
      peakConcurrent: count('The most sessions present at once, in any second of the bucket'),
      uniqueViewers: count('Different sessions present in the bucket'),
      heartbeats: count('Heartbeats placed in the bucket by their event time'),
    }),
  },
});

/** A code as the API docs list it: its status, what it means, and whether sending the same request again may help. */
const describeCode = (code: (typeof ERROR_CODE_NAMES)[number]) => {
  const { status, meaning, retriable } = ERROR_CODES[code];
  return `${code} (${status}${retriable ? ', retriable' : ''}): ${meaning}`;
};

export const errorResponse = {
  type: 'object',
  required: ['error', 'message', 'details'],
  properties: {
    error: {
      type: 'string',
      enum: ERROR_CODE_NAMES,
      description: `A stable code, one of: ${ERROR_CODE_NAMES.map(describeCode).join('; ')}`,
    },
    message: { type: 'string', description: 'What went wrong, in a sentence' },
    details: {
      type: 'array',
      items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

/** Each status a route may answer besides success, documented with the codes that go out with it. */
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        ...errorResponse,
        description: ERROR_CODE_NAMES.filter((code) => ERROR_CODES[code].status === status).join(', '),
      },
    ]),
  );

/** The answers every write may give besides its success. */
export const writeErrors = errors(400, 401, 403, 413, 415, 429, 503);
export const readErrors = errors(400, 404, 429, 502, 503);
/** A read of private data may also be refused its credentials. */
export const privateReadErrors = errors(400, 401, 403, 404, 429, 502, 503);
/** A read that sends a body (a check, such as verifying an admission token) may also find it too large or not JSON. */
export const readWithBodyErrors = errors(400, 404, 413, 415, 429, 502, 503);

/** Writes need an API key (`Authorization: Bearer <key>`); so do reads of private data. Public aggregates do not. */
export const writeSecurity = [{ bearerAuth: [] }];
export const privateReadSecurity = writeSecurity;
/** A ticket is read with its own secret, or with a key that may read the queue's tickets. */
export const ticketReadSecurity: { [scheme: string]: string[] }[] = [{ ticketSecret: [] }, { bearerAuth: [] }];

export const acceptedResponse = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: '"<source>:<seq>": the write, as Kafka acknowledged it' } },
} as const;

/** JSON schema properties, by name. */
export type Properties = Record<string, object>;

/**
 * A batch route's 200: a result per item, 202 with what its single route answers (`accepted`: the id and any
 * more, such as a join's ticket), or 400 with that item's error. Listed here, since the answer keeps only what it documents.
 */
export const batchResponseOf = (accepted: Properties) =>
  ({
    type: 'object',
    required: ['accepted', 'rejected', 'results'],
    properties: {
      accepted: { type: 'integer', description: 'How many items were produced' },
      rejected: { type: 'integer', description: 'How many items were refused (400), none of them produced' },
      results: {
        type: 'array',
        description: 'One per item, in order: 202 with the id, or 400 with the error of that item',
        items: {
          type: 'object',
          required: ['index', 'status'],
          properties: {
            index: { type: 'integer' },
            status: { type: 'integer', enum: [202, 400] },
            id: acceptedResponse.properties.id,
            ...accepted,
            ...errorResponse.properties,
          },
        },
      },
    },
  }) as const;
