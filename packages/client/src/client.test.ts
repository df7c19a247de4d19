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
  const sent: { at: number; body: Record<string, unknown> }[] = [];
  let clock: Clock | undefined;
  const respond = (async (_url: URL, init: RequestInit) => {
    sent.push({ at: clock?.now() ?? 0, body: JSON.parse(String(init.body)) as Record<string, unknown> });
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
    const outcome = tally.write('/v1/items/song-1/likes', { userId: 'u1', liked: true });
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
    const outcome = tally.write('/v1/items/a/views', {});
    await clock.advance(30_000);
    await outcome;
    expect(server.sent[1]!.at - server.sent[0]!.at).toBe(7000);
  });

  it('rejects a write that sending again cannot fix, with the API’s error code, and forgets it', async () => {
    const clock = fakeClock();
    const body = { error: 'invalid_request', message: 'userId is required', details: [{ field: 'userId' }] };
    const server = scriptedFetch([{ status: 400, body }]);
    const tally = client(memoryStore(), server, clock);
    const outcome = tally.write('/v1/items/a/likes', { liked: true });
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
    void first.write('/v1/items/a/likes', { userId: 'u1', liked: true }).catch(() => undefined);
    await clock.advance(5000);
    first.stop();
    const leftName = `${String(offline.sent[0]!.body.source)}:${String(offline.sent[0]!.body.seq)}`;

    // the reload: a new client on the same store, the network back
    const online = scriptedFetch([]);
    const second = client(store, online, clock);
    await second.start();
    const next = second.write('/v1/items/b/likes', { userId: 'u1', liked: true });
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
