import { describe, expect, it } from 'vitest';
import { OutcomeWaiters } from './outcome-waiters.js';

/** A deadline far away: these waits end by an outcome, a cancel or a close. */
const later = () => new AbortController().signal;

describe('outcomes are handed to the requests waiting for them', () => {
  it("by user and id: a grant's users share an id, yet each hears only their own outcome", async () => {
    const waiters = new OutcomeWaiters<string>();
    const alice = waiters.expect('alice', 'chat:1');
    const bob = waiters.expect('bob', 'chat:1');
    expect(waiters.deliver('bob', 'chat:1', 'bob applied')).toBe(1);
    expect(waiters.deliver('alice', 'chat:1', 'alice applied')).toBe(1);
    expect(await alice.until(later())).toBe('alice applied');
    expect(await bob.until(later())).toBe('bob applied');
    expect(waiters.size).toBe(0);
  });

  it("an outcome that arrives before the wait begins (before the producer's ack returns) is kept for it", async () => {
    const waiters = new OutcomeWaiters<string>();
    const expected = waiters.expect('u', 's:1');
    waiters.deliver('u', 's:1', 'fast');
    expect(await expected.until(AbortSignal.abort())).toBe('fast');
  });

  it('a wait runs out at its deadline with undefined and removes itself, so a late outcome finds nobody and is dropped', async () => {
    const waiters = new OutcomeWaiters<string>();
    const deadline = new AbortController();
    const waiting = waiters.expect('u', 's:1').until(deadline.signal);
    expect(waiters.isWaitingFor('u')).toBe(true);
    await Promise.resolve();
    expect(waiters.size).toBe(1);
    deadline.abort();
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
    expect([await first.until(later()), await retry.until(later())]).toEqual(['applied', 'applied']);
  });

  it('a cancelled wait (the command was never acknowledged) is gone at once', async () => {
    const waiters = new OutcomeWaiters<string>();
    const expected = waiters.expect('u', 's:1');
    const other = waiters.expect('u', 's:2');
    expected.cancel();
    expect(waiters.size).toBe(1);
    expect(await expected.until(later())).toBeUndefined();
    expect(waiters.deliver('u', 's:2', 'ok')).toBe(1);
    expect(await other.until(later())).toBe('ok');
  });

  it('closing (shutting down) ends every wait without an outcome, and every later one at once', async () => {
    const waiters = new OutcomeWaiters<string>();
    const waits = [
      waiters.expect('u', 's:1').until(later()),
      waiters.expect('v', 's:1').until(later()),
      waiters.expect('v', 's:2').until(later()),
    ];
    waiters.close();
    expect(await Promise.all(waits)).toEqual([undefined, undefined, undefined]);
    expect(waiters.size).toBe(0);
    const late = waiters.expect('w', 's:3');
    expect(waiters.isWaitingFor('w')).toBe(false);
    expect(await late.until(later())).toBeUndefined();
  });
});
