import type { FastifyPluginAsync } from 'fastify';
import { WRITE_BODY_LIMIT, formatWriteKey } from '@tally/contracts';
import type { ItemEvent } from '@tally/schemas';
import {
  toBatchItemEvent,
  toCounterIncrementEvent,
  toLikeEvent,
  toViewEvent,
  type BatchItemWrite,
  type CounterIncrementRequest,
  type LikeRequest,
  type ViewRequest,
} from '../../domain/item-event.js';
import type { RecordWriter } from '../../ports/record-writer.js';
import { acknowledgedWrite, withWriteDeadline } from './acknowledged-write.js';
import { requireScope } from './auth.js';
import { batchRoute, type BatchDeps } from './batch-route.js';
import { counterIncrementWrite, itemBatchItem, likeWrite, viewWrite, type ItemWriteSchema } from './counter-schemas.js';
import { acceptedResponse, writeErrors, writeSecurity } from './schemas.js';

export interface ItemRouteOptions extends BatchDeps {
  itemEvents: RecordWriter<ItemEvent>;
}

/** From the validated path parameters and body of a write, and its receipt time, to the event it becomes. */
type ToEvent<Params, Body> = (params: Params, body: Body, receivedAtMs: number) => ItemEvent;

/**
 * The counters-and-rankings writes: each becomes one ItemEvent keyed by itemId, so one item's events (and a
 * user's like and unlike of it) keep their order on one partition. A 202 means Kafka acknowledged it.
 */
export const itemRoutes: FastifyPluginAsync<ItemRouteOptions> = async (app, deps) => {
  const authorize = requireScope(deps.keyring, 'counters:write');
  const produce = acknowledgedWrite(app.log, deps.itemEvents, 'item events');
  const asRecord = (event: ItemEvent) => ({ key: event.itemId, value: event });

  const route = <Params, Body>(
    path: string,
    { summary, params, body }: ItemWriteSchema,
    toEvent: ToEvent<Params, Body>,
  ) =>
    app.post(
      path,
      {
        bodyLimit: WRITE_BODY_LIMIT,
        onRequest: authorize,
        schema: {
          tags: ['counters'],
          summary,
          security: writeSecurity,
          params,
          body,
          response: { 202: acceptedResponse, ...writeErrors },
        },
      },
      async (request, reply) => {
        // the schemas above have checked both; Fastify's route typing cannot carry generic types through
        const event = toEvent(request.params as Params, request.body as Body, deps.clock());
        await withWriteDeadline(deps.writeDeadlineMs, (deadline) => produce([asRecord(event)], deadline));
        return reply.code(202).send({ id: formatWriteKey(event) });
      },
    );

  route<{ itemId: string }, LikeRequest>('/v1/items/:itemId/likes', likeWrite, ({ itemId }, body, receivedAtMs) =>
    toLikeEvent(itemId, body, receivedAtMs),
  );
  route<{ itemId: string }, ViewRequest>('/v1/items/:itemId/views', viewWrite, ({ itemId }, body, receivedAtMs) =>
    toViewEvent(itemId, body, receivedAtMs),
  );
  route<{ itemId: string; name: string }, CounterIncrementRequest>(
    '/v1/items/:itemId/counters/:name',
    counterIncrementWrite,
    ({ itemId, name }, body, receivedAtMs) => toCounterIncrementEvent(itemId, name, body, receivedAtMs),
  );

  batchRoute<BatchItemWrite, ItemEvent>(app, deps, {
    url: '/v1/items/batch',
    tag: 'counters',
    items: 'likes, views and counter increments of any items',
    description:
      'Each item is the body of its single route with `type` (like, view or counter) and what that route’s path names: `itemId`, and a counter’s `name`.',
    scope: 'counters:write',
    item: itemBatchItem,
    accept: (item, receivedAtMs) => {
      const event = toBatchItemEvent(item, receivedAtMs);
      return { value: event, answer: { id: formatWriteKey(event) } };
    },
    write: (events, deadline) => produce(events.map(asRecord), deadline),
  });
};
