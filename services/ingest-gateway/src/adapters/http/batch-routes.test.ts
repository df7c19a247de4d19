/**
 * The batch route of every kind of write, through app.inject and no servers: the valid items are written as their
 * single route writes them, an invalid one is refused alone in the error shape, and the batch as a whole is
 * refused (nothing written) when it is too large, or its key lacks the scope or does not serve what it names.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ticketFor } from '../../domain/queue.js';
import { bearer, json, keys } from '../../test-support/keys.js';
import { expectProblem } from '../../test-support/problem.js';
import {
  UNIT_TICKET_KEY,
  injectCall,
  memoryTopics,
  recordCounts,
  unitGateway,
  unitGatewayForThisFile,
} from '../../test-support/unit-gateway.js';

const regions = ['kr', 'jp'] as const;
const { topics, call } = unitGatewayForThisFile(regions);

interface BatchCase {
  url: string;
  key: { key: string };
  /** Item i of a valid batch, a new (source, seq) each. */
  valid: (i: number) => Record<string, unknown>;
  /** An item its single route refuses, and the field the refusal names (under items.<index>). */
  invalid: { change: Record<string, unknown>; field: string };
  written: () => number;
  /** Item i's record as its single route keys it. */
  recordKey: (i: number) => string;
}

const at = Date.UTC(2026, 0, 1);
const cases: Record<string, BatchCase> = {
  items: {
    url: '/v1/items/batch',
    key: keys.counters,
    valid: (i) =>
      [
        { itemId: `item-${i}`, type: 'like', source: 'app', seq: i, userId: 'u1', liked: true, at },
        { itemId: `item-${i}`, type: 'view', source: 'app', seq: i, sessionId: 's1' },
        { itemId: `item-${i}`, type: 'counter', name: 'bookings', source: 'app', seq: i, by: 2 },
      ][i % 3]!,
    invalid: { change: { type: 'counter', name: 'likes' }, field: 'items.1.name' },
    written: () => topics.itemEvents.records.length,
    recordKey: (i) => `item-${i}`,
  },
  transactions: {
    url: '/v1/wallets/transactions/batch',
    key: keys.wallets,
    valid: (i) => ({ userId: `user-${i}`, source: 'shop', seq: i, type: 'credit', asset: 'KRW', amount: '1.50' }),
    invalid: { change: { asset: 'bottlecaps' }, field: 'items.1.asset' },
    written: () => topics.walletCommands.records.length,
    recordKey: (i) => `user-${i}`,
  },
  transfers: {
    url: '/v1/transfers/batch',
    key: keys.wallets,
    valid: (i) => ({ source: 'pay', seq: i, from: `user-${i}`, to: 'shop', asset: 'KRW', amount: '2' }),
    invalid: { change: { from: 'shop' }, field: 'items.1.to' },
    written: () => topics.walletCommands.records.length,
    recordKey: (i) => `user-${i}`,
  },
  joins: {
    url: '/v1/queues/tickets/batch',
    key: keys.queues,
    valid: (i) => ({ queueId: `concert-${i % 2}`, source: 'site', seq: i, userId: `fan-${i}` }),
    invalid: { change: { userId: 'a b' }, field: 'items.1.userId' },
    written: () => topics.queueCommands.records.length,
    recordKey: (i) => `concert-${i % 2}`,
  },
  votes: {
    url: '/v1/polls/votes/batch',
    key: keys.polls,
    valid: (i) => ({
      pollId: 'best-song',
      source: 'app',
      seq: i,
      region: regions[i % 2],
      userId: `v${i}`,
      optionId: 'a',
    }),
    invalid: { change: { region: 'mars' }, field: 'items.1.region' },
    written: () => [...topics.ballots.values()].reduce((sum, writer) => sum + writer.records.length, 0),
    recordKey: (i) => `best-song/v${i}`,
  },
};

const post = (url: string, key: { key: string }, body: unknown) =>
  call('POST', url, { headers: { ...json, ...bearer(key) }, body: JSON.stringify(body) });

describe.each(Object.entries(cases))('the %s batch', (_name, batch) => {
  it('writes every valid item, each answered 202 with its id in order', async () => {
    const before = batch.written();
    const items = [0, 1, 2].map(batch.valid);
    const answer = await post(batch.url, batch.key, { items });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 3, rejected: 0 });
    expect(answer.body.results).toMatchObject(
      items.map((item, index) => ({ index, status: 202, id: `${String(item.source)}:${index}` })),
    );
    expect(batch.written()).toBe(before + 3);
  });

  it('refuses an invalid item alone, in the error shape, naming its field; the others are written', async () => {
    const before = batch.written();
    const items = [batch.valid(10), { ...batch.valid(11), ...batch.invalid.change }, batch.valid(12)];
    const answer = await post(batch.url, batch.key, { items });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 2, rejected: 1 });
    const [first, refused, last] = answer.body.results as Record<string, unknown>[];
    expect([first!.status, last!.status]).toEqual([202, 202]);
    expect(refused).toMatchObject({ index: 1, status: 400, error: 'invalid_request' });
    expect((refused!.details as { field: string }[]).map((d) => d.field)).toContain(batch.invalid.field);
    expect(batch.written()).toBe(before + 2);
  });

  it('refuses the whole batch, writing nothing, when it is over 1000 items, over 1 MiB, or the key lacks the scope', async () => {
    const before = recordCounts(topics);
    const many = Array.from({ length: 1001 }, (_, i) => batch.valid(100 + i));
    expectProblem(await post(batch.url, batch.key, { items: many }), 400, 'invalid_request');
    const huge = [{ ...batch.valid(0), source: 'x'.repeat(1024 * 1024) }];
    expectProblem(await post(batch.url, batch.key, { items: huge }), 413, 'payload_too_large');
    expectProblem(await post(batch.url, keys.writer, { items: [batch.valid(0)] }), 403, 'forbidden');
    expect(recordCounts(topics)).toEqual(before);
  });
});

describe('what a batch writes', () => {
  it('keys each record as its single route does', () => {
    const key = (records: { key: string }[], i: number) => records[i]!.key;
    expect(key(topics.itemEvents.records, 0)).toBe(cases.items!.recordKey(0));
    expect(key(topics.queueCommands.records, 1)).toBe(cases.joins!.recordKey(1));
    expect(key(topics.ballots.get('jp')!.records, 0)).toBe(cases.votes!.recordKey(1));
  });

  it('turns each kind of item into the event its single route would', () => {
    expect(topics.itemEvents.records.slice(0, 3).map((r) => [r.value.kind, r.value.counter, r.value.by])).toEqual([
      ['LIKE', null, 1],
      ['VIEW', null, 1],
      ['INCREMENT', 'bookings', 2],
    ]);
    expect(topics.itemEvents.records[0]!.value.atMs).toBe(at);
  });

  it('answers each join with the ticket the single join names for it', async () => {
    const answer = await post('/v1/queues/tickets/batch', keys.queues, {
      items: [{ queueId: 'concert-9', source: 'site', seq: 900, userId: 'fan' }],
    });
    const ticket = ticketFor(UNIT_TICKET_KEY, 'concert-9', { source: 'site', seq: 900 });
    expect((answer.body.results as unknown[])[0]).toEqual({ index: 0, status: 202, id: 'site:900', ...ticket });
  });
});

describe('a key limited to some users or queues', () => {
  const limited = {
    key: 'test-limited-key-0123456789abcdef',
    name: 'test-limited',
    scopes: ['wallets:write', 'queues:write'],
    users: ['acme:*'],
    queues: ['acme-*'],
  };
  const limitedTopics = memoryTopics();
  const app = unitGateway([limited], {}, {}, limitedTopics);
  afterAll(async () => (await app).close());
  const send = async (url: string, items: unknown[]) =>
    injectCall(await app, 'POST', url, {
      headers: { ...json, ...bearer(limited) },
      body: JSON.stringify({ items }),
    });

  it('writes a batch of only its own, and refuses one naming anyone else whole (403), writing nothing', async () => {
    const join = (queueId: string, seq: number) => ({ queueId, source: 'site', seq, userId: 'fan' });
    expect((await send('/v1/queues/tickets/batch', [join('acme-1', 1)])).status).toBe(200);
    const mixed = await send('/v1/queues/tickets/batch', [join('acme-1', 2), join('other', 3)]);
    expectProblem(mixed, 403, 'forbidden');
    const transfer = { source: 'pay', seq: 1, from: 'acme:ann', to: 'bob', asset: 'KRW', amount: '1' };
    expectProblem(await send('/v1/transfers/batch', [transfer]), 403, 'forbidden');
    expect(recordCounts(limitedTopics)).toMatchObject({ queueCommands: 1, walletCommands: 0 });
  });
});
