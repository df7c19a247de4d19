/**
 * What each measured route sends. Writes: every request a new (source, seq), spread over many streams, items,
 * users as real traffic would be. Reads: the seeded data, in turn, through the gateway; `owner` says which
 * service answers it, so a slow read can be timed there directly.
 */
import { REGIONS, type Owners } from './deployment.js';
import type { RouteLoad } from './drive.js';
import type { Seeded, WriteKeys } from './seed.js';

export interface ReadLoad extends RouteLoad {
  owner: keyof Owners;
  /** Needs a key or a ticket's secret (wallets, tickets): judged against the private read target, not the public one. */
  private: boolean;
}

/** Cycles through `values`, one per call. */
function inTurn<T>(values: readonly T[]): () => T {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** Ids the load spreads over: enough that no one stream, item or user is a hot spot. */
const SPREAD = 100;
const USERS = 1000;

export function singleWrites(keys: WriteKeys, run: string, seeded: Seeded): RouteLoad[] {
  const write = (route: string, path: (seq: number) => string, body: (seq: number) => object): RouteLoad => ({
    route,
    method: 'POST',
    next: () => {
      const seq = keys.nextSeq();
      return { path: path(seq), body: { source: keys.source, seq, ...body(seq) } };
    },
  });
  const item = (seq: number) => `${run}-load-item-${seq % SPREAD}`;
  const user = (seq: number) => `${run}-load-user-${seq % USERS}`;
  return [
    write(
      'POST /v1/streams/{streamId}/heartbeats',
      (seq) => `/v1/streams/${run}-load-stream-${seq % SPREAD}/heartbeats`,
      (seq) => ({ sessionId: `session-${seq}`, positionMs: 1000 }),
    ),
    write(
      'POST /v1/items/{itemId}/likes',
      (seq) => `/v1/items/${item(seq)}/likes`,
      (seq) => ({ userId: `voter-${seq}`, liked: true }),
    ),
    write(
      'POST /v1/items/{itemId}/views',
      (seq) => `/v1/items/${item(seq)}/views`,
      (seq) => ({ userId: `viewer-${seq}` }),
    ),
    write(
      'POST /v1/items/{itemId}/counters/{name}',
      (seq) => `/v1/items/${item(seq)}/counters/bookings`,
      () => ({ by: 1 }),
    ),
    write(
      'POST /v1/wallets/{userId}/transactions',
      (seq) => `/v1/wallets/${user(seq)}/transactions`,
      () => ({ type: 'credit', asset: 'coins', amount: '1.00' }),
    ),
    write(
      'POST /v1/wallets/grants (1 user)',
      () => '/v1/wallets/grants',
      (seq) => ({ asset: 'coins', amount: '0.50', userIds: [user(seq)] }),
    ),
    write(
      'POST /v1/queues/{queueId}/tickets',
      () => `/v1/queues/${seeded.queueId}/tickets`,
      (seq) => ({ userId: `joiner-${seq}` }),
    ),
    write(
      'POST /v1/polls/{pollId}/votes',
      () => `/v1/polls/${seeded.pollId}/votes`,
      (seq) => ({
        region: REGIONS[seq % REGIONS.length],
        userId: `voter-${seq}`,
        optionId: seeded.pollOptions[seq % seeded.pollOptions.length],
      }),
    ),
  ];
}

/** The count a batch answer reports, e.g. "accepted" of the heartbeats batch. */
const reported = (field: string) => {
  const pattern = new RegExp(`"${field}":(\\d+)`);
  return (body: string) => Number(pattern.exec(body)?.[1] ?? 0);
};

export function batchWrites(keys: WriteKeys, run: string, size: number): RouteLoad[] {
  const members = Array.from({ length: size }, (_, i) => `${run}-member-${i}`);
  return [
    {
      route: `POST /v1/heartbeats/batch (${size} items)`,
      method: 'POST',
      next: () => ({
        path: '/v1/heartbeats/batch',
        body: {
          items: Array.from({ length: size }, () => {
            const seq = keys.nextSeq();
            return {
              streamId: `${run}-load-stream-${seq % SPREAD}`,
              source: keys.source,
              seq,
              sessionId: `session-${seq}`,
              positionMs: 1000,
            };
          }),
        },
      }),
      itemsAccepted: reported('accepted'),
    },
    {
      // one grant credits every member of a chat: `size` records produced, each acknowledged before the 202
      route: `POST /v1/wallets/grants (${size} users)`,
      method: 'POST',
      next: () => ({
        path: '/v1/wallets/grants',
        body: { source: keys.source, seq: keys.nextSeq(), asset: 'coins', amount: '0.50', userIds: members },
      }),
      itemsAccepted: reported('users'),
    },
  ];
}

/** The reads that need a key or a ticket's secret (docs/API.md): a user's wallet, a ticket. */
const PRIVATE_READS = /^GET \/v1\/(wallets\/|queues\/\{queueId\}\/tickets\/)/;

export function reads(seeded: Seeded): ReadLoad[] {
  const read = (route: string, owner: keyof Owners, paths: string[]): ReadLoad => {
    const path = inTurn(paths);
    return { route, owner, private: PRIVATE_READS.test(route), method: 'GET', next: () => ({ path: path() }) };
  };
  const { streamIds, itemIds, userIds, transactionIds, queueId, ticketIds, pollId } = seeded;
  const history = `from=${seeded.historyFromMs}&to=${seeded.historyFromMs + 2 * 60 * 60_000}&granularity=minute`;
  return [
    read(
      'GET /v1/streams/{streamId}/viewers',
      'viewerAggregator',
      streamIds.map((s) => `/v1/streams/${s}/viewers`),
    ),
    read(
      'GET /v1/streams/{streamId}/viewers/history',
      'viewerAggregator',
      streamIds.map((s) => `/v1/streams/${s}/viewers/history?${history}`),
    ),
    read(
      'GET /v1/items/{itemId}/counts',
      'counterMaterializer',
      itemIds.map((i) => `/v1/items/${i}/counts`),
    ),
    read('GET /v1/rankings/{metric}', 'counterMaterializer', [
      '/v1/rankings/likes?window=1h&limit=10',
      '/v1/rankings/views?window=24h&limit=10',
      '/v1/rankings/bookings?window=all&limit=10',
    ]),
    read(
      'GET /v1/wallets/{userId}',
      'walletLedger',
      userIds.map((u) => `/v1/wallets/${u}`),
    ),
    read(
      'GET /v1/wallets/{userId}/transactions',
      'walletLedger',
      userIds.map((u) => `/v1/wallets/${u}/transactions?limit=20`),
    ),
    read(
      'GET /v1/wallets/{userId}/transactions/{id}',
      'walletLedger',
      userIds.map((u, i) => `/v1/wallets/${u}/transactions/${transactionIds[i]}`),
    ),
    read('GET /v1/queues/{queueId}', 'queueAdmitter', [`/v1/queues/${queueId}`]),
    read(
      'GET /v1/queues/{queueId}/tickets/{ticketId}',
      'queueAdmitter',
      ticketIds.map((t) => `/v1/queues/${queueId}/tickets/${t}`),
    ),
    read('GET /v1/polls/{pollId}/results', 'voteResults', [`/v1/polls/${pollId}/results`]),
  ];
}
