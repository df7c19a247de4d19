/**
 * Every public write, as the SDK sends it: its single route, and the batch route it may travel in with what its
 * path names. Pure builders, typed by the API's own document; `Tally` sends them, and so can a load runner.
 */
import type { WriteRequest } from './client.js';
import type { WriteBody } from './types.js';

export const e = encodeURIComponent;

const batched = (path: string, body: object, url: string, names: object): WriteRequest => ({
  path,
  body: { ...body },
  batch: { url, item: { ...body, ...names } },
});

/** A ledger write waits for its outcome with `?wait=true`, and then goes alone (a batch answers 202s only). */
const ledger = (path: string, body: object, wait?: boolean, batch?: { url: string; names: object }): WriteRequest =>
  wait || !batch
    ? { path: wait ? `${path}?wait=true` : path, body: { ...body } }
    : batched(path, body, batch.url, batch.names);

export const writes = {
  heartbeat: (streamId: string, body: WriteBody<'/v1/streams/{streamId}/heartbeats'>, slot?: string) => ({
    ...batched(`/v1/streams/${e(streamId)}/heartbeats`, body, '/v1/heartbeats/batch', { streamId }),
    ...(slot ? { slot } : {}),
  }),
  like: (itemId: string, body: WriteBody<'/v1/items/{itemId}/likes'>) =>
    batched(`/v1/items/${e(itemId)}/likes`, body, '/v1/items/batch', { type: 'like', itemId }),
  view: (itemId: string, body: WriteBody<'/v1/items/{itemId}/views'> = {}) =>
    batched(`/v1/items/${e(itemId)}/views`, body, '/v1/items/batch', { type: 'view', itemId }),
  increment: (itemId: string, name: string, body: WriteBody<'/v1/items/{itemId}/counters/{name}'> = {}) =>
    batched(`/v1/items/${e(itemId)}/counters/${e(name)}`, body, '/v1/items/batch', { type: 'counter', itemId, name }),
  transaction: (userId: string, body: WriteBody<'/v1/wallets/{userId}/transactions'>, wait?: boolean) =>
    ledger(`/v1/wallets/${e(userId)}/transactions`, body, wait, {
      url: '/v1/wallets/transactions/batch',
      names: { userId },
    }),
  grant: (body: WriteBody<'/v1/wallets/grants'>) => ledger('/v1/wallets/grants', body),
  transfer: (body: WriteBody<'/v1/transfers'>, wait?: boolean) =>
    ledger('/v1/transfers', body, wait, { url: '/v1/transfers/batch', names: {} }),
  group: (body: WriteBody<'/v1/wallets/groups'>, wait?: boolean) => ledger('/v1/wallets/groups', body, wait),
  hold: (userId: string, body: WriteBody<'/v1/wallets/{userId}/holds'>, wait?: boolean) =>
    ledger(`/v1/wallets/${e(userId)}/holds`, body, wait),
  capture: (
    userId: string,
    holdId: string,
    body: WriteBody<'/v1/wallets/{userId}/holds/{holdId}/capture'> = {},
    wait?: boolean,
  ) => ledger(`/v1/wallets/${e(userId)}/holds/${e(holdId)}/capture`, body, wait),
  release: (
    userId: string,
    holdId: string,
    body: WriteBody<'/v1/wallets/{userId}/holds/{holdId}/release'> = {},
    wait?: boolean,
  ) => ledger(`/v1/wallets/${e(userId)}/holds/${e(holdId)}/release`, body, wait),
  join: (queueId: string, body: WriteBody<'/v1/queues/{queueId}/tickets'>) =>
    batched(`/v1/queues/${e(queueId)}/tickets`, body, '/v1/queues/tickets/batch', { queueId }),
  vote: (pollId: string, body: WriteBody<'/v1/polls/{pollId}/votes'>) =>
    batched(`/v1/polls/${e(pollId)}/votes`, body, '/v1/polls/votes/batch', { pollId }),
} satisfies Record<string, (...args: never[]) => WriteRequest>;
