import { listLimit } from '@tally/contracts';
import { COUNTER_NAME, MAX_INCREMENT, METRIC_NAME } from '../../domain/item-event.js';
import { answerObject, epochMs, eventTime, id, strictObject, writeKeyFields } from './schemas.js';

/** JSON schemas of the counters-and-rankings routes, built from the same parts as the heartbeat ones. */

const itemEventTime = eventTime('When it happened, epoch ms; the receipt time when omitted, and never later than it');

export const itemParams = strictObject(['itemId'], { itemId: id('The item: a post, a product, a listing, ...') });

export const counterParams = strictObject(['itemId', 'name'], {
  itemId: itemParams.properties.itemId,
  name: {
    type: 'string',
    pattern: COUNTER_NAME.source,
    description: 'The counter, e.g. bookings: 1-64 of a-z 0-9 _, starting with a letter; not likes or views',
  },
});

export const likeBody = strictObject(['source', 'seq', 'userId', 'liked'], {
  ...writeKeyFields,
  userId: id('Who likes the item; one like per user and item'),
  liked: { type: 'boolean', description: 'true likes the item, false takes the like back' },
  at: itemEventTime,
});

export const viewBody = strictObject(['source', 'seq'], {
  ...writeKeyFields,
  userId: id('The viewer, when known: who uniqueViewers counts'),
  sessionId: id('The viewing session: who uniqueViewers counts when there is no userId'),
  at: itemEventTime,
});

export const counterIncrementBody = strictObject(['source', 'seq'], {
  ...writeKeyFields,
  by: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_INCREMENT,
    default: 1,
    description: 'How much to add: a positive integer',
  },
  at: itemEventTime,
});

/** Counts take no query: an unknown field is refused here, as in a body, rather than ignored. */
export const countsQuery = strictObject([], {});

/** What documents and checks one item write. */
export interface ItemWriteSchema {
  summary: string;
  params: object;
  body: object;
}

export const likeWrite: ItemWriteSchema = {
  summary: 'A user likes an item (liked: true) or takes the like back (liked: false); one like per user',
  params: itemParams,
  body: likeBody,
};
export const viewWrite: ItemWriteSchema = {
  summary: 'Someone viewed an item; the user, else the session, is who uniqueViewers counts',
  params: itemParams,
  body: viewBody,
};
export const counterIncrementWrite: ItemWriteSchema = {
  summary: 'Adds `by` (default 1) to a named counter of an item, e.g. bookings',
  params: counterParams,
  body: counterIncrementBody,
};

/** A batch item of one kind: `type` names it, and the item carries what the single route's path would. */
const itemOfKind = (
  type: string,
  description: string,
  path: Record<string, object>,
  body: { required: readonly string[]; properties: Record<string, object> },
) =>
  strictObject<Record<string, object>, string[]>(['itemId', 'type', ...Object.keys(path), ...body.required], {
    itemId: itemParams.properties.itemId,
    type: { type: 'string', enum: [type], description },
    ...path,
    ...body.properties,
  });

/**
 * One item of `POST /v1/items/batch`: a like, a view or a counter increment, each judged by its own single
 * route's body (the shape its `type` names), so a bad item is told what is wrong with it alone.
 */
export const itemBatchItem = {
  type: 'object',
  discriminator: { propertyName: 'type' },
  required: ['type'],
  properties: {
    type: { type: 'string', enum: ['like', 'view', 'counter'], description: 'Which write: a like, a view, a counter' },
  },
  oneOf: [
    itemOfKind('like', 'POST /v1/items/{itemId}/likes', {}, likeBody),
    itemOfKind('view', 'POST /v1/items/{itemId}/views', {}, viewBody),
    itemOfKind(
      'counter',
      'POST /v1/items/{itemId}/counters/{name}',
      { name: counterParams.properties.name },
      counterIncrementBody,
    ),
  ],
} as const;

export const RANKING_WINDOWS = ['1h', '24h', 'all'] as const;

export const rankingParams = strictObject(['metric'], {
  metric: { type: 'string', pattern: METRIC_NAME.source, description: 'likes, views or a counter name' },
});

/** Checked here, so a bad read is refused without a round trip; the owner is asked with the defaults filled in. */
export const rankingQuery = strictObject([], {
  window: {
    type: 'string',
    enum: RANKING_WINDOWS,
    default: 'all',
    description: 'Only what happened in the last hour, day, or ever',
  },
  limit: listLimit(10, 'How many items, best first'),
});

const answeredItemId = { type: 'string', description: 'The item' } as const;

export const countsAnswer = answerObject(['itemId', 'likes', 'views', 'uniqueViewers', 'counters', 'asOf'], {
  itemId: answeredItemId,
  likes: { type: 'integer', description: 'Users who like the item now (a like taken back no longer counts); exact' },
  views: { type: 'integer', description: 'Views of the item; exact' },
  uniqueViewers: {
    type: 'integer',
    description: 'Different users (else sessions) who viewed it; promised within 1% (counted exactly today)',
  },
  counters: {
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Counter name → its total, e.g. {"bookings": 3}; a counter never added to is absent; exact',
  },
  asOf: epochMs('When the counts were projected (answered from Postgres: when they were read)'),
});

export const rankingAnswer = {
  type: 'array',
  description:
    'At most `limit` items, best first: highest score, ties by itemId ascending; an item with no positive score is not listed',
  items: answerObject(['itemId', 'score', 'rank'], {
    itemId: answeredItemId,
    score: { type: 'integer', description: "The metric's total over the window: likes, views, or the counter's sum" },
    rank: { type: 'integer', description: 'The place in the list: 1, 2, 3, ... (equal scores get consecutive ranks)' },
  }),
} as const;
