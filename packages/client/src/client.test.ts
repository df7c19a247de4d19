import { describe, expect, it } from 'vitest';
import { TallyClient, type Clock } from './client.js';
import { TallyError } from './errors.js';
import { memoryStore, type KeyValueStore } from './store.js';

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Timers run only when the test advances time. */
function fakeClock(): Clock & { advance: (ms: number) => Promise<void> } {
  let now = 1_000_000;
  let timers: { at: number; run: () => void; id: number }[] = [];
  let ids = 0;
  return {
    now: () => now,
    setTimeout: (run, ms) => {
      timers.push({ at: now + ms, run, id: ++ids });
      return ids;
    },
    clearTimeout: (id) => void (timers = timers.filter((timer) => timer.id !== id)),
    advance: async (ms) => {
      const target = now + ms;
      for (;;) {
        await settle();
        const due = timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((timer) => timer !== due);
        now = Math.max(now, due.at);
        due.run();
      }
      now = target;
      await settle();
    },
  };
}

type Answer = 'network' | { status: number; body?: unknown; headers?: Record<string, string> };

/** A server scripted answer by answer; it records what each attempt sent. */
function scriptedFetch(answers: Answer[], fallback: Answer = { status: 202 }) {
  const sent: { at: number; url: string; keepalive: boolean; body: Record<string, unknown> }[] = [];
  let clock: Clock | undefined;
  const respond = (async (url: URL, init: RequestInit) => {
    sent.push({
      at: clock?.now() ?? 0,
      url: url.pathname,
      keepalive: init.keepalive === true,
      body: JSON.parse(String(init.body)) as Record<string, unknown>,
    });
    const answer = answers.shift() ?? fallback;
    if (answer === 'network') throw new TypeError('fetch failed');
    return new Response(JSON.stringify(answer.body ?? { id: 'ok' }), {
      status: answer.status,
      headers: answer.headers,
    });
  }) as unknown as typeof fetch;
  return { fetch: respond, sent, useClock: (c: Clock) => (clock = c) };
}

const client = (store: KeyValueStore, server: ReturnType<typeof scriptedFetch>, clock: Clock) => {
  server.useClock(clock);
  return new TallyClient({
    baseUrl: 'http://tally.test',
    store,
    fetch: server.fetch,
    clock,
    random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 60_000 },
  });
};

describe('TallyClient writes', () => {
  it('retries a write with the same (source, seq), backing off, until it is acknowledged', async () => {
    const clock = fakeClock();
    const server = scriptedFetch(['network', { status: 503 }, { status: 202 }]);
    const tally = client(memoryStore(), server, clock);
    const outcome = tally.write({ path: '/v1/items/song-1/likes', body: { userId: 'u1', liked: true } });
    await clock.advance(10_000);
    await expect(outcome).resolves.toMatchObject({ status: 202 });
    expect(server.sent).toHaveLength(3);
    const names = server.sent.map(({ body }) => `${String(body.source)}:${String(body.seq)}`);
    expect(new Set(names).size).toBe(1);
    // full jitter at 0.5: half of 1 s, then half of 2 s
    expect(server.sent[1]!.at - server.sent[0]!.at).toBe(500);
    expect(server.sent[2]!.at - server.sent[1]!.at).toBe(1000);
    expect(tally.pending).toBe(0);
  });

  it('waits at least the Retry-After of a 429', async () => {
    const clock = fakeClock();
    const server = scriptedFetch([
      {
        status: 429,
        body: { error: 'rate_limited', message: 'slow down', details: [] },
        headers: { 'retry-after': '7' },
      },
    ]);
    const tally = client(memoryStore(), server, clock);
    const outcome = tally.write({ path: '/v1/items/a/views', body: {} });
    await clock.advance(30_000);
    await outcome;
    expect(server.sent[1]!.at - server.sent[0]!.at).toBe(7000);
  });

  it('rejects a write that sending again cannot fix, with the API’s error code, and forgets it', async () => {
    const clock = fakeClock();
    const body = { error: 'invalid_request', message: 'userId is required', details: [{ field: 'userId' }] };
    const server = scriptedFetch([{ status: 400, body }]);
    const tally = client(memoryStore(), server, clock);
    const outcome = tally.write({ path: '/v1/items/a/likes', body: { liked: true } });
    const rejected = expect(outcome).rejects.toMatchObject({ code: 'invalid_request', retriable: false, status: 400 });
    await clock.advance(1000);
    await rejected;
    await expect(outcome).rejects.toBeInstanceOf(TallyError);
    expect(tally.pending).toBe(0);
  });

  it('sends a write left by a page that closed offline from the next page, under the same name, and never reuses its seq', async () => {
    const store = memoryStore();
    const clock = fakeClock();
    const offline = scriptedFetch([], 'network');
    const first = client(store, offline, clock);
    void first.write({ path: '/v1/items/a/likes', body: { userId: 'u1', liked: true } }).catch(() => undefined);
    await clock.advance(5000);
    first.stop();
    const leftName = `${String(offline.sent[0]!.body.source)}:${String(offline.sent[0]!.body.seq)}`;

    // the reload: a new client on the same store, the network back
    const online = scriptedFetch([]);
    const second = client(store, online, clock);
    await second.start();
    const next = second.write({ path: '/v1/items/b/likes', body: { userId: 'u1', liked: true } });
    await clock.advance(5000);
    await next;
    const names = online.sent.map(({ body }) => `${String(body.source)}:${String(body.seq)}`);
    expect(names).toContain(leftName);
    expect(new Set(names).size).toBe(2);
    const fresh = online.sent.find(({ body }) => `${String(body.source)}:${String(body.seq)}` !== leftName)!;
    expect(Number(fresh.body.seq)).toBeGreaterThan(Number(offline.sent[0]!.body.seq));
    expect(second.pending).toBe(0);
  });
});

const like = (itemId: string, userId: string) => ({
  path: `/v1/items/${itemId}/likes`,
  body: { userId, liked: true },
  batch: { url: '/v1/items/batch', item: { type: 'like', itemId, userId, liked: true } },
});

describe('TallyClient batching and the page', () => {
  it('sends writes due together in one batch request, each named, and settles each by its own result', async () => {
    const clock = fakeClock();
    const server = scriptedFetch([
      {
        status: 200,
        body: {
          accepted: 2,
          rejected: 1,
          results: [
            { index: 0, status: 202, id: 'x' },
            { index: 1, status: 400, error: 'invalid_request', message: 'bad userId', details: [] },
            { index: 2, status: 202, id: 'y' },
          ],
        },
      },
    ]);
    const tally = client(memoryStore(), server, clock);
    const writes = [tally.write(like('a', 'u1')), tally.write(like('a', 'u 2')), tally.write(like('b', 'u3'))];
    const outcomes = Promise.allSettled(writes);
    await clock.advance(100);
    const [first, second, third] = await outcomes;
    expect(server.sent).toHaveLength(1);
    expect(server.sent[0]!.url).toBe('/v1/items/batch');
    const items = server.sent[0]!.body.items as Record<string, unknown>[];
    expect(items.map((item) => item.itemId)).toEqual(['a', 'a', 'b']);
    expect(new Set(items.map((item) => `${String(item.source)}:${String(item.seq)}`)).size).toBe(3);
    expect(first).toMatchObject({ status: 'fulfilled', value: { status: 202, body: { id: 'x' } } });
    expect(second).toMatchObject({ status: 'rejected', reason: { code: 'invalid_request' } });
    expect(third).toMatchObject({ status: 'fulfilled' });
    expect(tally.pending).toBe(0);
  });

  it('retries a whole batch the gateway could not take, with the same names', async () => {
    const clock = fakeClock();
    const server = scriptedFetch([{ status: 503, headers: { 'retry-after': '2' } }], {
      status: 200,
      body: {
        results: [
          { index: 0, status: 202, id: 'x' },
          { index: 1, status: 202, id: 'y' },
        ],
      },
    });
    const tally = client(memoryStore(), server, clock);
    const writes = Promise.all([tally.write(like('a', 'u1')), tally.write(like('b', 'u2'))]);
    await clock.advance(10_000);
    await writes;
    expect(server.sent.map((request) => request.url)).toEqual(['/v1/items/batch', '/v1/items/batch']);
    expect(server.sent[1]!.at - server.sent[0]!.at).toBe(2000);
    expect(server.sent[1]!.body.items).toEqual(server.sent[0]!.body.items);
  });

  it('keeps only the newest write of a slot while offline (a viewer’s heartbeats)', async () => {
    const clock = fakeClock();
    const server = scriptedFetch(['network', 'network', 'network']);
    const tally = client(memoryStore(), server, clock);
    const beat = (positionMs: number) =>
      tally.write({ path: '/v1/streams/s/heartbeats', body: { sessionId: 'p', positionMs }, slot: 'hb:s:p' });
    const first = beat(0);
    await clock.advance(100);
    const second = beat(5000);
    await expect(first).resolves.toMatchObject({ status: 0 });
    const third = beat(10_000);
    await expect(second).resolves.toMatchObject({ status: 0 });
    await clock.advance(60_000);
    await third;
    expect(tally.pending).toBe(0);
    expect(server.sent.at(-1)!.body.positionMs).toBe(10_000);
  });

  it('sends everything at once in keepalive requests while the page closes, backoff or not', async () => {
    const clock = fakeClock();
    const server = scriptedFetch(['network']);
    const tally = client(memoryStore(), server, clock);
    void tally.write({ path: '/v1/items/a/views', body: {} });
    await clock.advance(10);
    expect(server.sent).toHaveLength(1);
    expect(server.sent[0]!.keepalive).toBe(false);
    await tally.closeSoon();
    expect(server.sent).toHaveLength(2);
    expect(server.sent[1]!.keepalive).toBe(true);
    expect(tally.pending).toBe(0);
  });

  it('holds at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const slow = (async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return new Response('{"id":"ok"}', { status: 202 });
    }) as unknown as typeof fetch;
    // the system clock: a few real milliseconds
    const tally = new TallyClient({ baseUrl: 'http://tally.test', store: memoryStore(), fetch: slow, concurrency: 2 });
    await Promise.all(Array.from({ length: 7 }, (_, i) => tally.write({ path: `/v1/items/i${i}/views`, body: {} })));
    expect(most).toBe(2);
    expect(tally.pending).toBe(0);
  });
});

describe('TallyClient when the page closes', () => {
  it('sends what is pending at once even with every request slot busy', async () => {
    const sent: boolean[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const fetch = (async (_url: URL, init: RequestInit) => {
      sent.push(init.keepalive === true);
      if (!init.keepalive) await held;
      return new Response('{"id":"ok"}', { status: 202 });
    }) as unknown as typeof globalThis.fetch;
    const tally = new TallyClient({
      baseUrl: 'http://tally.test',
      store: memoryStore(),
      fetch,
      concurrency: 1,
      batching: false,
    });
    void tally.write({ path: '/v1/items/a/views', body: {} });
    await new Promise((resolve) => setTimeout(resolve, 10));
    void tally.write({ path: '/v1/items/b/views', body: {} });
    await tally.closeSoon();
    expect(sent).toEqual([false, true]);
    release();
  });

  it('sends and answers a write the store refuses to keep (it only loses its survival across a reload)', async () => {
    const store = memoryStore();
    const refusing = {
      ...store,
      set: (key: string, value: string) =>
        key.startsWith('tally.outbox.') ? Promise.reject(new Error('QuotaExceededError')) : store.set(key, value),
    };
    const fetch = (async () => new Response('{"id":"ok"}', { status: 202 })) as unknown as typeof globalThis.fetch;
    const tally = new TallyClient({ baseUrl: 'http://tally.test', store: refusing, fetch });
    await expect(tally.write({ path: '/v1/items/a/views', body: {} })).resolves.toMatchObject({ status: 202 });
  });
});
