import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PageEvents } from './page.js';
import { memoryStore } from './store.js';
import { Tally } from './tally.js';

/** A page whose events the test fires, and a server that records each heartbeat. */
function setUp() {
  const listeners = new Map<string, Set<() => void>>();
  const page: PageEvents & { fire(type: string): void; document: { visibilityState: string } } = {
    document: { visibilityState: 'visible' },
    addEventListener: (type, listener) =>
      void (listeners.get(type) ?? listeners.set(type, new Set()).get(type)!).add(listener),
    removeEventListener: (type, listener) => void listeners.get(type)?.delete(listener),
    fire: (type) => listeners.get(type)?.forEach((listener) => listener()),
  };
  const beats: { state: string; positionMs: number; keepalive: boolean }[] = [];
  const fetch = (async (_url: URL, init: RequestInit) => {
    const body = JSON.parse(String(init.body)) as { items?: { state: string; positionMs: number }[] };
    for (const item of body.items ?? [body as { state: string; positionMs: number }])
      beats.push({ state: item.state, positionMs: item.positionMs, keepalive: init.keepalive === true });
    return new Response(
      JSON.stringify({ id: 'x', results: (body.items ?? []).map((_, index) => ({ index, status: 202 })) }),
      {
        status: body.items ? 200 : 202,
      },
    );
  }) as unknown as typeof globalThis.fetch;
  const tally = new Tally({ baseUrl: 'http://tally.test', store: memoryStore(), fetch });
  return { page, beats, tally };
}

const settle = () => vi.advanceTimersByTimeAsync(10);

describe('watch', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('heartbeats at once and every 5 s while playing, none while paused', async () => {
    const { page, beats, tally } = setUp();
    const watch = tally.watch('s1', { page });
    await settle();
    expect(beats).toHaveLength(1);
    // a heartbeat leaves a moment after its tick (the write is kept first)
    await vi.advanceTimersByTimeAsync(15_100);
    expect(beats).toHaveLength(4);
    expect(beats.every((beat) => beat.state === 'playing')).toBe(true);
    watch.pause();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(beats).toHaveLength(4);
    watch.play();
    await settle();
    expect(beats).toHaveLength(5);
  });

  it('pauses while the tab is hidden and heartbeats at once when it is back', async () => {
    const { page, beats, tally } = setUp();
    tally.watch('s1', { page });
    await settle();
    page.document.visibilityState = 'hidden';
    page.fire('visibilitychange');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(beats).toHaveLength(1);
    page.document.visibilityState = 'visible';
    page.fire('visibilitychange');
    await settle();
    expect(beats).toHaveLength(2);
  });

  it('sends `ended` in a keepalive request when the page goes away', async () => {
    const { page, beats, tally } = setUp();
    tally.watch('s1', { page });
    await settle();
    page.fire('pagehide');
    await settle();
    expect(beats.at(-1)).toMatchObject({ state: 'ended', keepalive: true });
    await vi.advanceTimersByTimeAsync(30_000);
    expect(beats.filter((beat) => beat.state === 'ended')).toHaveLength(1);
  });

  it('reports the position the player gives', async () => {
    const { page, beats, tally } = setUp();
    const watch = tally.watch('s1', { page, position: () => 42_000 });
    await settle();
    const stopped = watch.stop();
    await settle();
    await stopped;
    expect(beats.map((beat) => [beat.state, beat.positionMs])).toEqual([
      ['playing', 42_000],
      ['ended', 42_000],
    ]);
  });
});
