import { epochMsParam } from '@tally/contracts';
import {
  ADMISSION_TOKEN_PATTERN,
  MAX_ABANDON_SECONDS,
  MAX_ADMIT_PER_MINUTE,
  MIN_ABANDON_SECONDS,
  MAX_ACTIVE_SECONDS,
  MAX_ADMISSION_TOKEN_LENGTH,
  MAX_CAPACITY,
  TICKET_ID_PATTERN,
  TICKET_SECRET_PATTERN,
} from '../../domain/queue.js';
import { acceptedResponse, id, strictObject, writeKeyFields } from './schemas.js';

/** JSON schemas of the waiting-queue routes, built from the same parts as the others. */

export const queueParams = strictObject(['queueId'], { queueId: id('The queue: a concert, a sale, a booking page') });

const ticketId = {
  type: 'string',
  pattern: TICKET_ID_PATTERN.source,
  description: 'The ticket, as the join was answered: t_ and 32 hex digits',
} as const;

export const ticketParams = strictObject(['queueId', 'ticketId'], {
  queueId: queueParams.properties.queueId,
  ticketId,
});

export const configureBody = strictObject(['capacity', 'activeSeconds'], {
  capacity: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_CAPACITY,
    description: 'The most tickets active at once, e.g. 100',
  },
  activeSeconds: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_ACTIVE_SECONDS,
    description: 'How long an admitted ticket stays active, e.g. 180',
  },
  admitPerMinute: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_ADMIT_PER_MINUTE,
    description:
      'The most admissions in any 60 s, to protect a checkout that cannot take bursts; outflow is the tighter of this and capacity. Unset: capacity alone',
  },
  opensAt: {
    ...epochMsParam(
      'When the sale opens, epoch ms: joins before it wait in a pre-queue and are put in random order at opening; after it, first come first served. At most a day in the past, a year ahead. Unset: open now',
    ),
  },
  abandonSeconds: {
    type: 'integer',
    minimum: MIN_ABANDON_SECONDS,
    maximum: MAX_ABANDON_SECONDS,
    description:
      'A waiting ticket whose holder was not seen (joined, or read the ticket) for this long is dropped as abandoned, freeing its place; counted from the opening. Unset: never',
  },
  paused: {
    type: 'boolean',
    description: 'Admit nobody; the line keeps its order and keeps taking joins. Default false',
  },
});

export const joinBody = strictObject(['source', 'seq', 'userId'], {
  ...writeKeyFields,
  userId: id('Who joins; one live ticket per user and queue (joining again names the live one)'),
});

/** One item of `POST /v1/queues/tickets/batch`: the join's body and the queue its path names. */
export const joinBatchItem = strictObject(['queueId', ...joinBody.required], {
  queueId: queueParams.properties.queueId,
  ...joinBody.properties,
});

/** Leave and complete carry nothing but the path: no body, an empty one or `{}`, so clients that always send JSON are served. */
export const emptyBody = strictObject([], {});

export const verifyBody = strictObject(['token'], {
  token: {
    type: 'string',
    minLength: 1,
    maxLength: MAX_ADMISSION_TOKEN_LENGTH,
    pattern: ADMISSION_TOKEN_PATTERN.source,
    description: 'The admissionToken a ticket read answered with: base64url parts joined by dots',
  },
});

export const joinAccepted = {
  type: 'object',
  required: ['id', 'ticketId', 'ticketSecret'],
  properties: {
    id: acceptedResponse.properties.id,
    ticketId: {
      ...ticketId,
      description: 'The ticket this join names; the same when the join is retried with the same (source, seq)',
    },
    ticketSecret: {
      type: 'string',
      pattern: TICKET_SECRET_PATTERN.source,
      description:
        "Hand it to the ticket's holder only: `Authorization: Bearer <ticketSecret>` reads this ticket (with its admission token) and nothing else",
    },
  },
} as const;

/** What documents and checks one queue write. */
export interface QueueWriteSchema {
  summary: string;
  description: string;
  params: object;
  body: object;
  /** The 202 answer. */
  accepted: object;
}

const gatewayNamed =
  "The gateway names this write itself (source gateway.<key name>, seq from the receipt time), so the answer's id is new each time.";

export const configureWrite: QueueWriteSchema = {
  summary:
    'Sets the waiting room: how many are active at once and for how long, admissions per minute, the opening, abandonment, pause; the last one wins',
  description: `Needs the queues:admin scope. ${gatewayNamed}`,
  params: queueParams,
  body: configureBody,
  accepted: acceptedResponse,
};

export const joinWrite: QueueWriteSchema = {
  summary: 'A user joins the line and gets a ticket; its place is the order the joins reached the gateway in',
  description:
    'Needs the queues:write scope (for this queue, if the key is limited to some). The ticket is named by (queueId, source, seq) and a server key, so a join retried with the same (source, seq) ' +
    'answers the same ticket and secret, and no one else can compute either. Poll the ticket with its secret to learn when it is active.',
  params: queueParams,
  body: joinBody,
  accepted: joinAccepted,
};

/** Leave and complete: the ticket in the path is all they say. */
const ticketWrite = (summary: string): QueueWriteSchema => ({
  summary,
  description: `No body, or {}. ${gatewayNamed}`,
  params: ticketParams,
  body: emptyBody,
  accepted: acceptedResponse,
});

export const leaveWrite = ticketWrite('Leaves the line, or gives up an active ticket; leaving twice changes nothing');
export const completeWrite = ticketWrite('Ends an active ticket (the booking is done) and frees its slot at once');
