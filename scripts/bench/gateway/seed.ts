/**
 * Data for the reads to find, written through the gateway as clients would, then waited for until every read
 * route answers it: streams with viewers and history, items with likes, views and bookings, wallets with a
 * history, a queue with tickets (some admitted), a poll with votes in every region.
 */
import { eventually } from '@tally/testkit';
import { httpClient } from '../lib.js';
import { REGIONS } from './deployment.js';

/** Writes carry (source, seq): one source per run, seqs handed out once, shared with the load phases. */
export interface WriteKeys {
  source: string;
  nextSeq: () => number;
}

export interface Seeded {
  streamIds: string[];
  historyFromMs: number;
  itemIds: string[];
  userIds: string[];
  /** One transaction id ("<source>:<seq>") of each user in `userIds`, same order. */
  transactionIds: string[];
  queueId: string;
  ticketIds: string[];
  pollId: string;
  pollOptions: string[];
}

const STREAMS = 10;
const SESSIONS_PER_STREAM = 20;
const ITEMS = 10;
const LIKES_PER_ITEM = 20;
const VIEWS_PER_ITEM = 10;
const BOOKINGS_PER_ITEM = 5;
const WALLETS = 10;
const CREDITS_PER_WALLET = 5;
const TICKETS = 20;
const QUEUE_CAPACITY = 5;
const VOTERS_PER_REGION = 20;
const VISIBLE_WITHIN_MS = 90_000;

export class SeedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

/** The gateway as a client sees it: writes with the key (a non-2xx answer is an error), reads without. */
export function gatewayClient(baseUrl: string, apiKey: string) {
  const writer = httpClient(baseUrl, apiKey);
  // the bench's key may read wallets and tickets too (private reads need it); public reads ignore it
  const reader = httpClient(baseUrl, apiKey);
  const write = async (method: 'POST' | 'PUT', path: string, body: unknown): Promise<Record<string, unknown>> => {
    const reply = await writer.send(method, path, body);
    if (reply.status < 200 || reply.status > 299)
      throw new SeedError(`seeding ${method} ${path} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
    return JSON.parse(reply.body) as Record<string, unknown>;
  };
  const read = async <T>(path: string): Promise<T | undefined> => {
    const reply = await reader.get(path);
    return reply.status === 200 ? (JSON.parse(reply.body) as T) : undefined;
  };
  return { write, read, close: () => [writer, reader].forEach((c) => c.close()) };
}

type Client = ReturnType<typeof gatewayClient>;

/** Sends `count` writes, 16 in flight at a time: quick, without a burst the seeding would wait on. */
async function inParallel<T>(count: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += 16) {
    results.push(
      ...(await Promise.all(Array.from({ length: Math.min(16, count - start) }, (_, i) => send(start + i)))),
    );
  }
  return results;
}

async function seedViewers(client: Client, keys: WriteKeys, run: string): Promise<string[]> {
  const streamIds = Array.from({ length: STREAMS }, (_, i) => `${run}-stream-${i}`);
  const items = streamIds.flatMap((streamId) =>
    Array.from({ length: SESSIONS_PER_STREAM }, (_, s) => ({
      streamId,
      source: keys.source,
      seq: keys.nextSeq(),
      sessionId: `session-${s}`,
      positionMs: 1000,
    })),
  );
  await client.write('POST', '/v1/heartbeats/batch', { items });
  return streamIds;
}

async function seedItems(client: Client, keys: WriteKeys, run: string): Promise<string[]> {
  const itemIds = Array.from({ length: ITEMS }, (_, i) => `${run}-item-${i}`);
  const write = (path: string, body: object) =>
    client.write('POST', path, { source: keys.source, seq: keys.nextSeq(), ...body });
  for (const itemId of itemIds) {
    await inParallel(LIKES_PER_ITEM, (u) => write(`/v1/items/${itemId}/likes`, { userId: `user-${u}`, liked: true }));
    await inParallel(VIEWS_PER_ITEM, (u) => write(`/v1/items/${itemId}/views`, { userId: `user-${u}` }));
    await inParallel(BOOKINGS_PER_ITEM, () => write(`/v1/items/${itemId}/counters/bookings`, {}));
  }
  return itemIds;
}

async function seedWallets(
  client: Client,
  keys: WriteKeys,
  run: string,
): Promise<{ userIds: string[]; transactionIds: string[] }> {
  const userIds = Array.from({ length: WALLETS }, (_, i) => `${run}-user-${i}`);
  const transactionIds: string[] = [];
  for (const userId of userIds) {
    const ids = await inParallel(CREDITS_PER_WALLET, async () => {
      const answer = await client.write('POST', `/v1/wallets/${userId}/transactions`, {
        source: keys.source,
        seq: keys.nextSeq(),
        type: 'credit',
        asset: 'coins',
        amount: '1.25',
      });
      return String(answer.id);
    });
    transactionIds.push(ids[0]!);
  }
  return { userIds, transactionIds };
}

async function seedQueue(
  client: Client,
  keys: WriteKeys,
  run: string,
): Promise<{ queueId: string; ticketIds: string[] }> {
  const queueId = `${run}-queue`;
  await client.write('PUT', `/v1/queues/${queueId}`, { capacity: QUEUE_CAPACITY, activeSeconds: 3600 });
  const ticketIds = await inParallel(TICKETS, async (u) => {
    const answer = await client.write('POST', `/v1/queues/${queueId}/tickets`, {
      source: keys.source,
      seq: keys.nextSeq(),
      userId: `user-${u}`,
    });
    return String(answer.ticketId);
  });
  return { queueId, ticketIds };
}

async function seedPoll(
  client: Client,
  keys: WriteKeys,
  run: string,
): Promise<{ pollId: string; pollOptions: string[] }> {
  const pollId = `${run}-poll`;
  const pollOptions = ['north', 'south', 'east', 'west'];
  await client.write('PUT', `/v1/polls/${pollId}`, {
    options: pollOptions,
    regions: Object.fromEntries(REGIONS.map((r) => [r, { weight: 1 }])),
  });
  // a vote for a poll its region has not heard of yet waits as pending: vote once the definition is everywhere
  await visible(
    'the poll definition in the results',
    async () => (await client.read(`/v1/polls/${pollId}/results`)) !== undefined,
  );
  for (const region of REGIONS) {
    await inParallel(VOTERS_PER_REGION, (u) =>
      client.write('POST', `/v1/polls/${pollId}/votes`, {
        source: keys.source,
        seq: keys.nextSeq(),
        region,
        userId: `user-${u}`,
        optionId: pollOptions[u % pollOptions.length],
      }),
    );
  }
  return { pollId, pollOptions };
}

async function visible(what: string, probe: () => Promise<boolean>): Promise<void> {
  if (!(await eventually(() => probe().catch(() => false), VISIBLE_WITHIN_MS, 200))) {
    throw new SeedError(
      `${what} did not show through the gateway within ${VISIBLE_WITHIN_MS / 1000} s: is its service consuming?`,
    );
  }
}

const every = async <T>(values: T[], probe: (value: T) => Promise<boolean>) =>
  (await Promise.all(values.map(probe))).every(Boolean);

/** Waits until every read route answers the seeded data in full. */
async function waitUntilVisible(client: Client, seeded: Seeded): Promise<void> {
  await visible('the viewers', () =>
    every(
      seeded.streamIds,
      async (s) =>
        (await client.read<{ concurrent: number }>(`/v1/streams/${s}/viewers`))?.concurrent === SESSIONS_PER_STREAM,
    ),
  );
  await visible('the viewer history', () =>
    every(
      seeded.streamIds,
      async (s) =>
        ((
          await client.read<{ buckets: unknown[] }>(
            `/v1/streams/${s}/viewers/history?from=${seeded.historyFromMs}&to=${Date.now() + 60_000}`,
          )
        )?.buckets.length ?? 0) > 0,
    ),
  );
  await visible('the item counts', () =>
    every(seeded.itemIds, async (i) => {
      const counts = await client.read<{ likes: number; views: number; counters: Record<string, number> }>(
        `/v1/items/${i}/counts`,
      );
      return (
        counts?.likes === LIKES_PER_ITEM &&
        counts.views === VIEWS_PER_ITEM &&
        counts.counters.bookings === BOOKINGS_PER_ITEM
      );
    }),
  );
  await visible(
    'the likes ranking',
    async () => ((await client.read<unknown[]>('/v1/rankings/likes?window=1h&limit=10'))?.length ?? 0) === ITEMS,
  );
  await visible('the wallet histories', () =>
    every(
      seeded.userIds,
      async (u) =>
        ((await client.read<{ transactions: unknown[] }>(`/v1/wallets/${u}/transactions`))?.transactions.length ??
          0) === CREDITS_PER_WALLET,
    ),
  );
  await visible('the queue', async () => {
    const queue = await client.read<{ waiting: number; active: number }>(`/v1/queues/${seeded.queueId}`);
    return queue !== undefined && queue.waiting + queue.active === TICKETS && queue.active === QUEUE_CAPACITY;
  });
  await visible('the tickets', () =>
    every(
      seeded.ticketIds,
      async (t) => (await client.read(`/v1/queues/${seeded.queueId}/tickets/${t}`)) !== undefined,
    ),
  );
  await visible('the votes in the world result', async () => {
    const result = await client.read<{ regions: Record<string, { votes: number }> }>(
      `/v1/polls/${seeded.pollId}/results`,
    );
    return REGIONS.every((r) => result?.regions[r]?.votes === VOTERS_PER_REGION);
  });
}

export async function seed(client: Client, keys: WriteKeys, run: string): Promise<Seeded> {
  const historyFromMs = Date.now() - 60 * 60_000;
  const streamIds = await seedViewers(client, keys, run);
  const itemIds = await seedItems(client, keys, run);
  const wallets = await seedWallets(client, keys, run);
  const queue = await seedQueue(client, keys, run);
  const poll = await seedPoll(client, keys, run);
  const seeded = { streamIds, historyFromMs, itemIds, ...wallets, ...queue, ...poll };
  await waitUntilVisible(client, seeded);
  return seeded;
}
