import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { followRead, subscribeConsole, subscribeEvents, type LiveProblem, type LiveStatus } from './live.js';

/**
 * A server to subscribe to, through a fake fetch: each request answers the next queued response, else an open
 * event stream the test writes to and ends. Timers are only recorded; the test runs them.
 */
function server() {
  const answers: (() => Response | Promise<Response>)[] = [];
  const requests: { url: string; headers: Record<string, string>; signal: AbortSignal }[] = [];
  const streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  const timers: { run: () => void; ms: number; cleared?: boolean }[] = [];
  const events: [string, string][] = [];
  const statuses: [LiveStatus, LiveProblem?][] = [];
  const encoder = new TextEncoder();
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    const signal = init!.signal!;
    requests.push({ url: String(url), headers: init!.headers as Record<string, string>, signal });
    const answer = answers.shift();
    if (answer) return answer();
    const body = new ReadableStream<Uint8Array>({ start: (controller) => void streams.push(controller) });
    const controller = streams.at(-1)!;
    signal.addEventListener('abort', () => controller.error(signal.reason));
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
  const options = {
    fetch: fetch as typeof globalThis.fetch,
    onEvent: (type: string, data: string) => void events.push([type, data]),
    onStatus: (status: LiveStatus, problem?: LiveProblem) => void statuses.push(problem ? [status, problem] : [status]),
    setTimeout: (run: () => void, ms: number) => timers.push({ run, ms }) - 1,
    clearTimeout: (handle: unknown) => {
      if (typeof handle === 'number') timers[handle]!.cleared = true;
    },
  };
  return {
    answers,
    requests,
    timers,
    events,
    statuses,
    options,
    write: (text: string) => streams.at(-1)!.enqueue(encoder.encode(text)),
    end: () => streams.at(-1)!.close(),
    /** Runs the last timer, as if its delay had passed. */
    elapse: () => timers.at(-1)!.run(),
  };
}

const until = (check: () => void) => vi.waitFor(check, { interval: 1 });

const problem = (status: number, message: string, fields: string[] = [], headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ code: 'x', message, details: fields.map((field) => ({ field })) }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('subscribeEvents', () => {
  it('reads events split across chunks, with the headers given', async () => {
    const s = server();
    subscribeEvents('https://api.test/events', { ...s.options, headers: { authorization: 'Bearer k' } });
    await until(() => expect(s.statuses).toEqual([['reconnecting'], ['live']]));
    expect(s.requests[0]!.headers).toEqual({ accept: 'text/event-stream', authorization: 'Bearer k' });
    s.write('event: st');
    s.write('ate\ndata: {"a":');
    s.write('1}\n');
    s.write('\n: ping\n\n');
    await until(() => expect(s.events).toEqual([['state', '{"a":1}']]));
  });

  it('opens the stream again after the server’s retry delay when it ends', async () => {
    const s = server();
    subscribeEvents('https://api.test/events', s.options);
    await until(() => expect(s.statuses.at(-1)).toEqual(['live']));
    s.write('retry: 5000\n\n');
    s.end();
    await until(() => expect(s.statuses.at(-1)).toEqual(['reconnecting']));
    expect(s.timers.map((t) => t.ms)).toEqual([5000]);
    expect(s.requests).toHaveLength(1);
    s.elapse();
    await until(() => expect(s.statuses.at(-1)).toEqual(['live']));
    expect(s.requests).toHaveLength(2);
  });

  it('waits the Retry-After of a 429, and 2 s after a 5xx that names none', async () => {
    const s = server();
    s.answers.push(
      () => problem(429, 'slow down', [], { 'retry-after': '7' }),
      () => problem(503, 'restarting'),
    );
    subscribeEvents('https://api.test/events', s.options);
    await until(() => expect(s.timers).toHaveLength(1));
    expect(s.timers[0]!.ms).toBe(7000);
    expect(s.statuses.at(-1)).toEqual(['reconnecting', { status: 429, message: 'slow down', fields: [] }]);
    s.elapse();
    await until(() => expect(s.timers).toHaveLength(2));
    expect(s.timers[1]!.ms).toBe(2000);
    s.elapse();
    await until(() => expect(s.statuses.at(-1)).toEqual(['live']));
  });

  it('stops on 401, 403 or 400 and says why', async () => {
    for (const [status, fields] of [
      [401, []],
      [403, []],
      [400, ['queue']],
    ] as const) {
      const s = server();
      s.answers.push(() => problem(status, 'no', [...fields]));
      subscribeEvents('https://api.test/events', s.options);
      await until(() => expect(s.statuses.at(-1)).toEqual(['refused', { status, message: 'no', fields }]));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(s.timers).toEqual([]);
      expect(s.requests).toHaveLength(1);
    }
  });

  it('backs off while the network fails, doubling up to 30 s, and starts over once a stream was live', async () => {
    const s = server();
    const down = () => Promise.reject(new TypeError('fetch failed'));
    s.answers.push(...Array.from({ length: 7 }, () => down));
    subscribeEvents('https://api.test/events', s.options);
    for (let i = 1; i <= 7; i++) {
      await until(() => expect(s.timers).toHaveLength(i));
      s.elapse();
    }
    await until(() => expect(s.statuses.at(-1)).toEqual(['live']));
    s.answers.push(down);
    s.end();
    await until(() => expect(s.timers).toHaveLength(8));
    s.elapse();
    await until(() => expect(s.timers).toHaveLength(9));
    expect(s.timers.map((t) => t.ms)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 1000, 2000]);
  });

  it('aborts the stream on unsubscribe and opens no other', async () => {
    const s = server();
    const unsubscribe = subscribeEvents('https://api.test/events', s.options);
    await until(() => expect(s.statuses.at(-1)).toEqual(['live']));
    unsubscribe();
    expect(s.requests[0]!.signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(s.statuses).toEqual([['reconnecting'], ['live']]);
    expect(s.timers).toEqual([]);
  });

  it('cancels a pending reconnection on unsubscribe', async () => {
    const s = server();
    s.answers.push(() => problem(503, 'restarting'));
    const unsubscribe = subscribeEvents('https://api.test/events', s.options);
    await until(() => expect(s.timers).toHaveLength(1));
    unsubscribe();
    expect(s.timers[0]!.cleared).toBe(true);
  });
});

describe('subscribeConsole', () => {
  it('opens the console stream for a selection with the key, and hands over each state', async () => {
    const s = server();
    const views: unknown[] = [];
    subscribeConsole(
      'https://api.test/',
      'op-key',
      { metric: 'likes', window: '1h', streams: 'a,b', queue: '', poll: undefined },
      (view) => views.push(view),
      s.options.onStatus,
      s.options,
    );
    await until(() => expect(s.statuses.at(-1)).toEqual(['live']));
    expect(s.requests[0]!.url).toBe('https://api.test/console/events?metric=likes&window=1h&streams=a%2Cb');
    expect(s.requests[0]!.headers.authorization).toBe('Bearer op-key');
    s.write('event: state\ndata: {"at":1}\n\nevent: state\ndata: not json\n\nevent: other\ndata: 2\n\n');
    s.write('event: state\ndata: {"at":2}\n\n');
    await until(() => expect(views).toEqual([{ at: 1 }, { at: 2 }]));
  });
});

describe('followRead', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  /** A page whose visibility the test sets. */
  const page = () => {
    const listeners = new Set<() => void>();
    return {
      document: { visibilityState: 'visible' },
      addEventListener: (_type: 'visibilitychange', listener: () => void) => void listeners.add(listener),
      removeEventListener: (_type: 'visibilitychange', listener: () => void) => void listeners.delete(listener),
      set(state: string) {
        this.document.visibilityState = state;
        listeners.forEach((listener) => listener());
      },
    };
  };

  it('reads at once, then every `everyMs`, and stops when told', async () => {
    let reads = 0;
    const values: number[] = [];
    const stop = followRead(
      async () => ++reads,
      (value) => values.push(value),
      { everyMs: 1000, page: page() },
    );
    await vi.advanceTimersByTimeAsync(3500);
    expect(values).toEqual([1, 2, 3, 4]);
    stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(reads).toBe(4);
  });

  it('pauses while the page is hidden and reads at once when it is back', async () => {
    let reads = 0;
    const tab = page();
    followRead(
      async () => ++reads,
      () => undefined,
      { everyMs: 1000, page: tab },
    );
    await vi.advanceTimersByTimeAsync(100);
    tab.set('hidden');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(reads).toBe(1);
    tab.set('visible');
    await vi.advanceTimersByTimeAsync(100);
    expect(reads).toBe(2);
  });

  it('waits the Retry-After a refused read carries, else a doubling backoff', async () => {
    const at: number[] = [];
    const answers = [{ retryAfter: '7' }, {}, {}];
    followRead(
      async () => {
        at.push(Date.now());
        const answer = answers.shift();
        if (answer) throw Object.assign(new Error('refused'), answer);
        return 1;
      },
      () => undefined,
      { page: page() },
    );
    await vi.advanceTimersByTimeAsync(20_000);
    const gaps = at.slice(1).map((time, i) => time - at[i]!);
    expect(gaps.slice(0, 3)).toEqual([7000, 2000, 4000]);
  });
});
