/**
 * Every batch route against the real broker and schema registry: the valid items of a batch are on the topic its
 * owner reads once the batch is answered, each keyed and shaped as its single route writes it, and the item
 * refused beside them is not.
 */
import { describe, expect, it } from 'vitest';
import { formatWriteKey } from '@tally/contracts';
import { TEST_TICKET_KEY, bearer, call, gatewayForThisFile, json, keys, type TestTopic } from './fixtures/gateway.js';
import { ticketFor } from '../src/domain/queue.js';

const receivedAt = 1_750_000_000_000;
const world = gatewayForThisFile('batches', {}, () => receivedAt);

const post = (path: string, key: { key: string }, items: unknown[]) =>
  call(world().base, 'POST', path, { headers: { ...json, ...bearer(key) }, body: JSON.stringify({ items }) });

/** Posts the batch, expects the answer `accepted` of `items.length`, and returns the topic's records by write id. */
async function written<T extends { source: string; seq: number }>(
  path: string,
  key: { key: string },
  items: unknown[],
  accepted: number,
  topic: TestTopic<T>,
) {
  const answer = await post(path, key, items);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ accepted, rejected: items.length - accepted });
  // acknowledged means already on the topic: read right away
  const records = await topic.records();
  return { answer, byId: new Map(records.map((r) => [formatWriteKey(r.value), r])) };
}

describe('batches reach the topics their owners read', () => {
  it('items: likes, views and counter increments become the ItemEvents their single routes write', async () => {
    const items = [
      { itemId: 'post-1', type: 'like', source: 'b', seq: 1, userId: 'u1', liked: true },
      { itemId: 'post-2', type: 'view', source: 'b', seq: 2, sessionId: 's1' },
      { itemId: 'room-3', type: 'counter', name: 'bookings', source: 'b', seq: 3, by: 4 },
      { itemId: 'room-3', type: 'counter', name: 'views', source: 'b', seq: 4 },
    ];
    const { byId } = await written('/v1/items/batch', keys.counters, items, 3, world().itemEvents);
    expect([...byId.keys()].sort()).toEqual(['b:1', 'b:2', 'b:3']);
    expect(byId.get('b:1')).toMatchObject({ key: 'post-1', value: { kind: 'LIKE', userId: 'u1' } });
    expect(byId.get('b:2')).toMatchObject({ key: 'post-2', value: { kind: 'VIEW', sessionId: 's1' } });
    expect(byId.get('b:3')).toMatchObject({
      key: 'room-3',
      value: { kind: 'INCREMENT', counter: 'bookings', by: 4, receivedAtMs: receivedAt },
    });
  });

  it('wallet transactions and transfers become WalletCommands keyed by their user', async () => {
    const transactions = [
      { userId: 'ann', source: 'shop', seq: 1, type: 'credit', asset: 'KRW', amount: '12.34' },
      { userId: 'bob', source: 'shop', seq: 2, type: 'debit', asset: 'KRW', amount: '0.001' },
    ];
    await written('/v1/wallets/transactions/batch', keys.wallets, transactions, 1, world().walletCommands);
    const transfers = [{ source: 'pay', seq: 1, from: 'ann', to: 'cat', asset: 'KRW', amount: '1.50' }];
    const { byId } = await written('/v1/transfers/batch', keys.wallets, transfers, 1, world().walletCommands);
    expect([...byId.keys()].sort()).toEqual(['pay:1', 'shop:1']);
    expect(byId.get('shop:1')).toMatchObject({
      key: 'ann',
      value: { type: 'CREDIT', asset: 'KRW', amountMinor: 1234 },
    });
    expect(byId.get('pay:1')).toMatchObject({
      key: 'ann',
      value: { type: 'TRANSFER', to: 'cat', amountMinor: 150 },
    });
  });

  it('queue joins become JOIN commands keyed by queue, each answered with its ticket', async () => {
    const joins = [
      { queueId: 'concert', source: 'site', seq: 1, userId: 'fan-1' },
      { queueId: 'museum', source: 'site', seq: 2, userId: 'fan-2' },
    ];
    const { answer, byId } = await written('/v1/queues/tickets/batch', keys.queues, joins, 2, world().queueCommands);
    const ticket = ticketFor(TEST_TICKET_KEY, 'museum', { source: 'site', seq: 2 });
    expect((answer.body.results as unknown[])[1]).toEqual({ index: 1, status: 202, id: 'site:2', ...ticket });
    expect(byId.get('site:2')).toMatchObject({
      key: 'museum',
      value: { kind: 'JOIN', userId: 'fan-2', ticketId: ticket.ticketId },
    });
  });

  it("votes become Ballots on their own region's topic, keyed by poll and user", async () => {
    const votes = [
      { pollId: 'song', source: 'app', seq: 1, region: 'kr', userId: 'v1', optionId: 'a' },
      { pollId: 'song', source: 'app', seq: 2, region: 'jp', userId: 'v2', optionId: 'b' },
      { pollId: 'song', source: 'app', seq: 3, region: 'mars', userId: 'v3', optionId: 'b' },
    ];
    const { byId } = await written('/v1/polls/votes/batch', keys.polls, votes, 2, world().ballots.kr);
    expect([...byId.keys()]).toEqual(['app:1']);
    expect(byId.get('app:1')).toMatchObject({ key: 'song/v1', value: { region: 'kr', optionId: 'a' } });
    const jp = await world().ballots.jp.records();
    expect(jp.map((r) => [r.key, formatWriteKey(r.value)])).toEqual([['song/v2', 'app:2']]);
  });
});
