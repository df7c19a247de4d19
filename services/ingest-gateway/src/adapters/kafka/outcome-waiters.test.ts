import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutcomeWaiters } from './outcome-waiters.js';

describe('outcomes are handed to the requests waiting for them', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("by user and id: a grant's users share an id, yet each hears only their own outcome", async () => {
    const waiters = new OutcomeWaiters<string>();
    const alice = waiters.expect('alice', 'chat:1');
    const bob = waiters.expect('bob', 'chat:1');
    expect(waiters.deliver('bob', 'chat:1', 'bob applied')).toBe(1);
    expect(waiters.deliver('alice', 'chat:1', 'alice applied')).toBe(1);
    expect(await alice.within(1000)).toBe('alice applied');
    expect(await bob.within(1000)).toBe('bob applied');
    expect(waiters.size).toBe(0);
  });

  it("an outcome that arrives before the wait begins (before the producer's ack returns) is kept for it", async () => {
    const waiters = new OutcomeWaiters<string>();
    const expected = waiters.expect('u', 's:1');
    waiters.deliver('u', 's:1', 'fast');
    expect(await expected.within(1)).toBe('fast');
  });

  it('a wait runs out with undefined and removes itself, so a late outcome finds nobody and is dropped', async () => {
    vi.useFakeTimers();
    const waiters = new OutcomeWaiters<string>();
    const waiting = waiters.expect('u', 's:1').within(500);
    expect(waiters.isWaitingFor('u')).toBe(true);
    await vi.advanceTimersByTimeAsync(499);
    expect(waiters.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiting).toBeUndefined();
    expect(waiters.size).toBe(0);
    expect(waiters.isWaitingFor('u')).toBe(false);
    expect(waiters.deliver('u', 's:1', 'late')).toBe(0);
  });

  it("outcomes nobody waits for are dropped, and other users' or ids' waits are untouched", () => {
    const waiters = new OutcomeWaiters<string>();
    waiters.expect('u', 's:1');
    expect(waiters.deliver('u', 's:2', 'x')).toBe(0);
    expect(waiters.deliver('v', 's:1', 'x')).toBe(0);
    expect(waiters.isWaitingFor('v')).toBe(false);
    expect(waiters.size).toBe(1);
  });

  it('several requests waiting for one command (a client retrying) all hear its outcome once', async () => {
    const waiters = new OutcomeWaiters<string>();
    const first = waiters.expect('u', 's:1');
    const retry = waiters.expect('u', 's:1');
    expect(waiters.size).toBe(2);
    expect(waiters.deliver('u', 's:1', 'applied')).toBe(2);
    expect(waiters.deliver('u', 's:1', 'applied again')).toBe(0);
    expect([await first.within(1000), await retry.within(1000)]).toEqual(['applied', 'applied']);
  });

  it('a cancelled wait (the command was never acknowledged) is gone at once', async () => {
    const waiters = new OutcomeWaiters<string>();
    const expected = waiters.expect('u', 's:1');
    const other = waiters.expect('u', 's:2');
    expected.cancel();
    expect(waiters.size).toBe(1);
    expect(await expected.within(1000)).toBeUndefined();
    expect(waiters.deliver('u', 's:2', 'ok')).toBe(1);
    expect(await other.within(1000)).toBe('ok');
  });

  it('closing (shutting down) ends every wait without an outcome, and every later one at once', async () => {
    const waiters = new OutcomeWaiters<string>();
    const waits = [
      waiters.expect('u', 's:1').within(60_000),
      waiters.expect('v', 's:1').within(60_000),
      waiters.expect('v', 's:2').within(60_000),
    ];
    waiters.close();
    expect(await Promise.all(waits)).toEqual([undefined, undefined, undefined]);
    expect(waiters.size).toBe(0);
    const late = waiters.expect('w', 's:3');
    expect(waiters.isWaitingFor('w')).toBe(false);
    expect(await late.within(60_000)).toBeUndefined();
  });
});
