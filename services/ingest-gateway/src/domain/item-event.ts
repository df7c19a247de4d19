import type { ItemEvent } from '@tally/schemas';
import { eventTimeUpToReceipt } from './event-time.js';

// what rankings rank (likes, views, or any counter) is named by the contract's rule, which the owner checks too
export { METRIC_NAME_PATTERN as METRIC_NAME } from '@tally/contracts';

/**
 * A counter is named like a metric but never `likes` or `views`: those two are counted from LIKE/UNLIKE and
 * VIEW events (one like per user), and a counter of the same name would make `/v1/rankings/likes` ambiguous.
 */
export const COUNTER_NAME = /^(?!(?:likes|views)$)[a-z][a-z0-9_]{0,63}$/;

/**
 * The most one write may add to a counter. More is a client bug (an id or a timestamp sent as the amount),
 * and the bound keeps sums of many writes far from 2^53.
 */
export const MAX_INCREMENT = 1_000_000;

/** What every item write carries: who sent it and, optionally, when it happened. */
interface ItemWrite {
  source: string;
  seq: number;
  at?: number;
}

/** The JSON body of `POST /v1/items/{itemId}/likes`, once validated. */
export interface LikeRequest extends ItemWrite {
  userId: string;
  liked: boolean;
}

/** The JSON body of `POST /v1/items/{itemId}/views`, once validated. */
export interface ViewRequest extends ItemWrite {
  userId?: string;
  sessionId?: string;
}

/** The JSON body of `POST /v1/items/{itemId}/counters/{name}`, once validated. */
export interface CounterIncrementRequest extends ItemWrite {
  by?: number;
}

type KindAndDetails = Pick<ItemEvent, 'kind'> & Partial<Pick<ItemEvent, 'userId' | 'sessionId' | 'counter' | 'by'>>;

/**
 * The fields every ItemEvent shares. Event time is clamped to the receipt time here (not by consumers, as
 * heartbeats are), so windows and replays agree on it; receivedAtMs still shows how far the client was ahead.
 */
function toItemEvent(itemId: string, request: ItemWrite, receivedAtMs: number, details: KindAndDetails): ItemEvent {
  return {
    source: request.source,
    seq: request.seq,
    itemId,
    userId: null,
    sessionId: null,
    counter: null,
    by: 1,
    atMs: eventTimeUpToReceipt(request.at, receivedAtMs),
    receivedAtMs,
    ...details,
  };
}

/** A like, or taking it back: the materializer keeps a set of users per item, so repeating either changes nothing. */
export function toLikeEvent(itemId: string, request: LikeRequest, receivedAtMs: number): ItemEvent {
  return toItemEvent(itemId, request, receivedAtMs, {
    kind: request.liked ? 'LIKE' : 'UNLIKE',
    userId: request.userId,
  });
}

/** A view; the user, else the session, is who uniqueViewers counts (an anonymous view counts only as a view). */
export function toViewEvent(itemId: string, request: ViewRequest, receivedAtMs: number): ItemEvent {
  return toItemEvent(itemId, request, receivedAtMs, {
    kind: 'VIEW',
    userId: request.userId ?? null,
    sessionId: request.sessionId ?? null,
  });
}

/** Adds `by` (default 1) to the item's counter `counter`. */
export function toCounterIncrementEvent(
  itemId: string,
  counter: string,
  request: CounterIncrementRequest,
  receivedAtMs: number,
): ItemEvent {
  return toItemEvent(itemId, request, receivedAtMs, { kind: 'INCREMENT', counter, by: request.by ?? 1 });
}

/**
 * One item of `POST /v1/items/batch`: a like, a view or a counter increment, told apart by `type`, carrying the
 * itemId (and a counter's name) its single route's path would.
 */
export type BatchItemWrite = { itemId: string } & (
  | ({ type: 'like' } & LikeRequest)
  | ({ type: 'view' } & ViewRequest)
  | ({ type: 'counter'; name: string } & CounterIncrementRequest)
);

/** The event a batch item becomes: exactly the event its single route would produce. */
export function toBatchItemEvent(item: BatchItemWrite, receivedAtMs: number): ItemEvent {
  switch (item.type) {
    case 'like':
      return toLikeEvent(item.itemId, item, receivedAtMs);
    case 'view':
      return toViewEvent(item.itemId, item, receivedAtMs);
    case 'counter':
      return toCounterIncrementEvent(item.itemId, item.name, item, receivedAtMs);
  }
}
