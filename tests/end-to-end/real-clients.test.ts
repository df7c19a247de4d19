/**
 * Exact under real clients, end to end through the gateway with every service as its own process: players
 * whose clocks are off count like any other, a late retry after 1,500 newer writes of its source counts once,
 * and every service rebuilt from the topics into empty state (fresh groups, schemas and Redis prefixes, beside
 * the live deployment) answers exactly as the live one.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRebuildProcesses, startTallyProcesses, uniqueName, type TallyProcesses } from '@tally/testkit';
import { regionalTopicName } from '@tally/contracts';
import { groupCaughtUp, postStatus } from './fixtures/gateway.js';

const stack = inject('stack');
const run = uniqueName('e2e-clients');
const apiKey = {
  key: 'e2e-clients-key-0123456789abcdef',
  name: 'e2e-clients',
  scopes: [
    'viewers:write',
    'counters:write',
    'wallets:write',
    'queues:write',
    'queues:admin',
    'polls:write',
    'polls:admin',
  ],
};
type Body = Record<string, unknown>;
let tally: TallyProcesses;
let gateway: string;

beforeAll(async () => {
  tally = await startTallyProcesses(stack, { run, apiKey });
  gateway = tally.gateway.url;
});

afterAll(async () => {
  await tally?.stop();
});

const post = (path: string, body: unknown) => postStatus(gateway, apiKey.key, path, body);
const put = async (path: string, body: unknown) => {
  const response = await fetch(`${gateway}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.key}` },
    body: JSON.stringify(body),
  });
  await response.arrayBuffer();
  return response.status;
};
const read = async <T>(base: string, path: string): Promise<T> => {
  const response = await fetch(`${base}${path}`);
  expect(response.status, `${base}${path}`).toBe(200);
  return (await response.json()) as T;
};
/** Sends writes `width` at a time; every one must be accepted. */
async function sendAll(writes: [string, unknown][], width = 50) {
  for (let i = 0; i < writes.length; i += width) {
    const statuses = await Promise.all(writes.slice(i, i + width).map(([path, body]) => post(path, body)));
    expect(
      statuses.every((s) => s === 202),
      JSON.stringify(statuses.filter((s) => s !== 202)),
    ).toBe(true);
  }
}

describe('exact under real clients', () => {
  it('counts three players whose clocks run 60 s behind, 45 s ahead and right as exactly 3, steadily', async () => {
    const skews = { behind: -60_000, ahead: 45_000, right: 0 };
    const polls: number[] = [];
    for (let beat = 0; beat < 5; beat++) {
      const statuses = await Promise.all(
        Object.entries(skews).map(([player, skew]) =>
          post('/v1/streams/skewed/heartbeats', {
            source: `player-${player}`,
            seq: beat,
            sessionId: player,
            positionMs: beat * 5000,
            at: Date.now() + skew,
          }),
        ),
      );
      expect(statuses).toEqual([202, 202, 202]);
      expect(await groupCaughtUp(stack.brokers, tally.groups.aggregator, tally.topics.heartbeats)).toBe(true);
      // read every second until the next beat is due
      for (let second = 0; second < 5; second++) {
        polls.push((await read<{ concurrent: number }>(gateway, '/v1/streams/skewed/viewers')).concurrent);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    expect(polls).toEqual(Array(polls.length).fill(3));
  });

  it('counts a late retry after 1,500 newer views from its source exactly once', async () => {
    await sendAll(
      Array.from(
        { length: 1500 },
        (_, i) => ['/v1/items/clip/views', { source: 'tv-7', seq: i + 2 }] as [string, unknown],
      ),
    );
    // the first try of seq 1 got no answer; the client retries it now, twice, and an old write once more
    await sendAll([
      ['/v1/items/clip/views', { source: 'tv-7', seq: 1 }],
      ['/v1/items/clip/views', { source: 'tv-7', seq: 1 }],
      ['/v1/items/clip/views', { source: 'tv-7', seq: 9 }],
    ]);
    expect(await groupCaughtUp(stack.brokers, tally.groups.materializer, tally.topics.itemEvents)).toBe(true);
    expect((await read<{ views: number }>(gateway, '/v1/items/clip/counts')).views).toBe(1501);
  });

  it('rebuilds every service from the topics into empty state, equal to the live one', async () => {
    // traffic for every product, with client retries
    await sendAll([
      ...['a', 'b', 'c', 'd'].map(
        (s, i) =>
          [
            '/v1/streams/rebuild/heartbeats',
            { source: `p-${s}`, seq: 100, sessionId: s, positionMs: 0, at: Date.now() - i * 20_000 },
          ] as [string, unknown],
      ),
      ['/v1/streams/rebuild/heartbeats', { source: 'p-d', seq: 101, sessionId: 'd', positionMs: 0, state: 'ended' }],
      ...Array.from(
        { length: 60 },
        (_, i) =>
          [`/v1/items/item-${i % 6}/likes`, { source: `fan-${i}`, seq: 1, userId: `fan-${i}`, liked: i % 7 !== 0 }] as [
            string,
            unknown,
          ],
      ),
      ...Array.from(
        { length: 40 },
        (_, i) =>
          [`/v1/items/item-${i % 4}/views`, { source: 'web', seq: 10_000 + i, userId: `u-${i % 9}` }] as [
            string,
            unknown,
          ],
      ),
      ['/v1/items/item-1/counters/bookings', { source: 'box', seq: 1, by: 4 }],
      ['/v1/items/item-1/counters/bookings', { source: 'box', seq: 1, by: 4 }],
      ...Array.from(
        { length: 12 },
        (_, i) =>
          [
            '/v1/wallets/grace/transactions',
            { source: 'shop', seq: i, type: i % 3 === 2 ? 'debit' : 'credit', asset: 'coins', amount: `${i + 1}.50` },
          ] as [string, unknown],
      ),
      ['/v1/wallets/grace/transactions', { source: 'shop', seq: 99, type: 'debit', asset: 'coins', amount: '9999.00' }],
    ]);
    expect(await put('/v1/queues/drop', { capacity: 2, activeSeconds: 600 })).toBe(202);
    const tickets: string[] = [];
    for (let u = 0; u < 6; u++) {
      const response = await fetch(`${gateway}/v1/queues/drop/tickets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.key}` },
        body: JSON.stringify({ source: 'shop', seq: 500 + u, userId: `buyer-${u}` }),
      });
      expect(response.status).toBe(202);
      tickets.push(((await response.json()) as { ticketId: string }).ticketId);
    }
    expect(await groupCaughtUp(stack.brokers, tally.groups.admitter, tally.topics.queueCommands)).toBe(true);
    const admitted = async () => (await read<{ active: number }>(gateway, '/v1/queues/drop')).active === 2;
    for (let i = 0; i < 100 && !(await admitted()); i++) await new Promise((r) => setTimeout(r, 100));
    const first = tickets[0]!;
    expect(await post(`/v1/queues/drop/tickets/${first}/complete`, {})).toBe(202);
    const leave = await fetch(`${gateway}/v1/queues/drop/tickets/${tickets[5]}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${apiKey.key}` },
    });
    expect(leave.status).toBe(202);
    expect(
      await put('/v1/polls/best', {
        options: ['x', 'y', 'z'],
        regions: Object.fromEntries(tally.regions.map((r) => [r, { weight: 1 }])),
      }),
    ).toBe(202);
    await sendAll(
      Array.from(
        { length: 30 },
        (_, i) =>
          [
            '/v1/polls/best/votes',
            {
              source: 'kiosk',
              seq: i,
              region: tally.region,
              userId: `voter-${i % 25}`,
              optionId: ['x', 'y', 'z'][i % 3],
            },
          ] as [string, unknown],
      ),
    );

    const settled = async (groups: typeof tally.groups) => {
      for (const [group, topic] of [
        [groups.aggregator, tally.topics.heartbeats],
        [groups.materializer, tally.topics.itemEvents],
        [groups.ledger, tally.topics.walletCommands],
        [groups.admitter, tally.topics.queueCommands],
        [groups.region, regionalTopicName(tally.topics.ballotsTemplate, tally.region)],
      ] as const)
        expect(await groupCaughtUp(stack.brokers, group, topic), group).toBe(true);
    };
    await settled(tally.groups);
    await new Promise((r) => setTimeout(r, 1500)); // the merger's result reaches the region

    const rebuild = await startRebuildProcesses(stack, tally, 'rebuilt');
    try {
      await settled(rebuild.groups);
      await new Promise((r) => setTimeout(r, 1500));
      const live = (job: string) => tally.byJob.get(job)!.url;
      const rebuilt = (job: string) => rebuild.byJob.get(job)!.url;
      const same = async (job: string, path: string, view: (body: Body) => unknown = (b) => b) => {
        expect(view(await read<Body>(rebuilt(job), path)), `${job} ${path}`).toEqual(
          view(await read<Body>(live(job), path)),
        );
      };
      const now = Date.now();
      await same('viewer-aggregator', '/v1/streams/rebuild/viewers', (b) => b.concurrent);
      await same('viewer-aggregator', `/v1/streams/rebuild/viewers/history?from=${now - 3_600_000}&to=${now + 60_000}`);
      for (let i = 0; i < 6; i++)
        await same('counter-materializer', `/v1/items/item-${i}/counts`, ({ asOf: _, ...counts }) => counts);
      for (const path of [
        '/v1/rankings/likes?window=1h',
        '/v1/rankings/views?window=24h',
        '/v1/rankings/bookings?window=all',
      ])
        await same('counter-materializer', path);
      await same('wallet-ledger', '/v1/wallets/grace', (b) => b.balances);
      await same('wallet-ledger', '/v1/wallets/grace/transactions?limit=100', (b) =>
        JSON.parse(JSON.stringify(b), (key, value) => (key === 'createdAt' || key === 'asOf' ? undefined : value)),
      );
      await same('queue-admitter', '/v1/queues/drop');
      for (const ticket of tickets)
        await same('queue-admitter', `/v1/queues/drop/tickets/${ticket}`, (b) => [
          b.status,
          b.position,
          b.waitingTotal,
          b.expiresAt,
        ]);
      await same(`vote-merger-${tally.region}`, '/v1/polls/best/results', (b) => [
        b.global,
        (b.regions as Body)[tally.region],
      ]);
    } finally {
      await rebuild.stop();
    }
  });
});
