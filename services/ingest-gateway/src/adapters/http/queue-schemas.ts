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
import { acceptedResponse, answerObject, epochMs, id, strictObject, writeKeyFields } from './schemas.js';

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

const TICKET_STATUSES = ['waiting', 'active', 'expired', 'left', 'completed', 'abandoned'];

/**
 * How soon to read the ticket again, as the ticket answer tells it. The rule is the queue-admitter's
 * (domain/poll-interval.ts); this says it to clients.
 */
export const POLL_AFTER_DESCRIPTION =
  'Read the ticket again after this many seconds; null: stop polling (active: the answer holds the token until expiresAt; ended: nothing will change). ' +
  'Waiting: a tenth of estimatedWaitSeconds, 2-30 s; in the pre-queue: until the opening, at most 30 s; ' +
  'either way at most a third of the queue’s abandonSeconds, so a client that follows it is never dropped as unseen';

export const ticketAnswer = answerObject(
  ['ticketId', 'status', 'position', 'waitingTotal', 'estimatedWaitSeconds', 'pollAfterSeconds'],
  {
    ticketId: {
      type: 'string',
      description:
        'The ticket: the one asked for, or, asked for a second join of a user who already had a live ticket, that live ticket',
    },
    status: {
      type: 'string',
      enum: TICKET_STATUSES,
      description:
        'waiting in line; active (admitted: admissionToken and expiresAt); expired (its admission ran out); left; completed; ' +
        'abandoned (dropped from the line: its holder was not seen for abandonSeconds)',
    },
    position: {
      type: 'integer',
      nullable: true,
      description:
        'Waiting: the exact number of waiting tickets ahead of it (0: next). null in the pre-queue (the order is drawn at the opening and not shown before); 0 once it no longer waits',
    },
    waitingTotal: {
      type: 'integer',
      description: 'Tickets waiting in the queue; may be 0 for a ticket that no longer waits',
    },
    estimatedWaitSeconds: {
      type: 'integer',
      nullable: true,
      description:
        'Waiting: seconds until it is admitted, worked out at the read from the line as it is then (it moves as the line moves); ' +
        'null when it cannot be worked out; 0 once it no longer waits',
    },
    pollAfterSeconds: { type: 'integer', nullable: true, description: POLL_AFTER_DESCRIPTION },
    opensAt: epochMs('In the pre-queue only: when the queue opens'),
    admissionToken: {
      type: 'string',
      description:
        'Active only: an ES256 JWT (aud = queueId, sub = userId, jti = ticketId, exp = expiresAt) a site checks with POST /v1/queues/{queueId}/admissions/verify or offline against /.well-known/jwks.json',
    },
    expiresAt: epochMs('Active only: when the admission runs out'),
  },
);

export const queueAnswer = answerObject(
  [
    'queueId',
    'waiting',
    'active',
    'capacity',
    'admittedTotal',
    'state',
    'activeSeconds',
    'admitPerMinute',
    'opensAt',
    'abandonSeconds',
    'paused',
    'settingsVersion',
    'outflowPerMinute',
    'newcomerWaitSeconds',
  ],
  {
    queueId: { type: 'string', description: 'The queue' },
    waiting: { type: 'integer', description: 'Tickets waiting in line' },
    active: { type: 'integer', description: 'Tickets admitted and not ended yet' },
    capacity: { type: 'integer', description: 'The most tickets active at once' },
    admittedTotal: { type: 'integer', description: 'Admissions made since the queue began' },
    state: {
      type: 'string',
      enum: ['pre-queue', 'open', 'paused'],
      description: 'pre-queue before opensAt; open; paused by its operator (nobody admitted)',
    },
    activeSeconds: { type: 'integer', description: 'How long an admission lasts, at most' },
    admitPerMinute: {
      type: 'integer',
      nullable: true,
      description: 'The most admissions in any 60 s; null: capacity alone bounds outflow',
    },
    opensAt: {
      type: 'integer',
      nullable: true,
      description: 'When the queue opens, epoch ms (before it: the pre-queue); null: none set',
    },
    abandonSeconds: {
      type: 'integer',
      nullable: true,
      description: 'A waiting ticket whose holder was not seen for this long is dropped; null: never',
    },
    paused: { type: 'boolean', description: 'Admit nobody; the line keeps its order and keeps taking joins' },
    settingsVersion: {
      type: 'integer',
      description: 'How many times the queue was configured (0: never, the defaults)',
    },
    outflowPerMinute: {
      type: 'number',
      description: 'The admissions per minute the settings and the observed holds allow, to one decimal',
    },
    newcomerWaitSeconds: { type: 'integer', description: 'The estimated wait of a user joining now' },
  },
);

/** The answer to a token that checks out. */
const validToken = answerObject(['valid', 'ticketId', 'userId', 'expiresAt'], {
  valid: {
    type: 'boolean',
    enum: [true],
    description: 'Signed by the queue, for this queue, unexpired, and its ticket still active',
  },
  ticketId: { type: 'string', description: 'The ticket the token admits (jti)' },
  userId: { type: 'string', description: 'Whose ticket it is (sub)' },
  expiresAt: epochMs('When the admission runs out (exp)'),
});

/** The answer to a token that does not. */
const refusedToken = answerObject(['valid', 'reason'], {
  valid: { type: 'boolean', enum: [false], description: 'The token admits nobody' },
  reason: {
    type: 'string',
    description:
      'Why: malformed (not a token), bad_signature (not signed by a key of the queue-admitter, or altered), expired, other_queue (a token of another queue), ended (its ticket is no longer active: left or completed)',
  },
});

export const verifyAnswer = {
  description: 'Either the token admits (valid: true, with what it says), or it does not (valid: false, with why)',
  oneOf: [validToken, refusedToken],
} as const;

/** The public keys admission tokens are signed with: a JWK Set (RFC 7517) of P-256 keys. */
export const jwksAnswer = answerObject(['keys'], {
  keys: {
    type: 'array',
    description: 'Every key that may have signed a live token; the first signs new ones',
    items: answerObject(['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'], {
      kty: { type: 'string', enum: ['EC'], description: 'Key type' },
      crv: { type: 'string', enum: ['P-256'], description: 'Curve' },
      x: { type: 'string', description: 'The public point’s x, base64url' },
      y: { type: 'string', description: 'The public point’s y, base64url' },
      kid: { type: 'string', description: 'The key id a token’s header names' },
      alg: { type: 'string', enum: ['ES256'], description: 'Signature algorithm' },
      use: { type: 'string', enum: ['sig'], description: 'Signing' },
    }),
  },
});
