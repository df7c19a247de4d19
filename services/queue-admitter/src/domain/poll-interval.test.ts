import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type QueueSettings } from './outflow.js';
import { pollAfterSeconds, type TicketPollView } from './poll-interval.js';
import type { TicketStatus } from './tickets.js';

const NOW = 1_000_000;
const settings = (more: Partial<QueueSettings> = {}): QueueSettings => ({ ...DEFAULT_SETTINGS, ...more });
const ticket = (status: TicketStatus, more: Partial<TicketPollView> = {}): TicketPollView => ({
  status,
  estimatedWaitSeconds: status === 'waiting' ? 60 : 0,
  settings: status === 'waiting' ? settings() : undefined,
  expiresAtMs: null,
  nowMs: NOW,
  ...more,
});
const waiting = (estimatedWaitSeconds: number | null, more: Partial<QueueSettings> = {}) =>
  ticket('waiting', { estimatedWaitSeconds, settings: settings(more) });
const preQueue = (opensInMs: number, more: Partial<QueueSettings> = {}) =>
  ticket('waiting', { estimatedWaitSeconds: 500, settings: settings({ opensAtMs: NOW + opensInMs, ...more }) });

describe('how soon a ticket is read again', () => {
  it.each<[string, number | null, TicketPollView]>([
    // waiting: a tenth of the wait, 2 s to 30 s
    ['waiting, admitted in the next round', 2, waiting(0)],
    ['waiting 14 s: a tenth is under the floor', 2, waiting(14)],
    ['waiting 25 s: a tenth, rounded', 3, waiting(25)],
    ['waiting 2 minutes', 12, waiting(120)],
    ['waiting 5 minutes', 30, waiting(300)],
    ['waiting an hour: at most 30 s', 30, waiting(3600)],
    ['waiting, the queue paused: the same rule', 12, waiting(120, { paused: true })],
    ['waiting, its wait not worked out', 2, waiting(null)],
    ['waiting, its queue not read', 2, ticket('waiting', { estimatedWaitSeconds: null, settings: undefined })],
    // a third of abandonSeconds at most, which wins over the floor
    ['waiting an hour, abandonSeconds 60', 20, waiting(3600, { abandonSeconds: 60 })],
    ['waiting 2 minutes, abandonSeconds 600: not binding', 12, waiting(120, { abandonSeconds: 600 })],
    ['waiting an hour, abandonSeconds 10 (the least a queue may set)', 3, waiting(3600, { abandonSeconds: 10 })],
    ['waiting, abandonSeconds below the floor (3 s): the bound wins', 1, waiting(0, { abandonSeconds: 3 })],
    ['waiting, its wait not worked out, abandonSeconds 3', 1, waiting(null, { abandonSeconds: 3 })],
    // the pre-queue: until the opening, at most 30 s and a third of abandonSeconds
    ['pre-queue, the opening in 10 s', 10, preQueue(10_000)],
    ['pre-queue, the opening in 9.2 s: rounded up, past it', 10, preQueue(9_200)],
    ['pre-queue, the opening in 300 ms: at least 1 s', 1, preQueue(300)],
    ['pre-queue, the opening in an hour: at most 30 s', 30, preQueue(3_600_000)],
    ['pre-queue, the opening in an hour, abandonSeconds 60', 20, preQueue(3_600_000, { abandonSeconds: 60 })],
    ['pre-queue, the opening in 5 s, abandonSeconds 60', 5, preQueue(5_000, { abandonSeconds: 60 })],
    ['opened 1 ms ago: the waiting rule', 30, preQueue(-1)],
    // active: the answer holds the token and its expiry; without an expiry it holds no token yet
    ['active, expiring in a minute', null, ticket('active', { expiresAtMs: NOW + 60_000 })],
    ['active, past its expiry (not expired yet)', null, ticket('active', { expiresAtMs: NOW - 1 })],
    ['active, its expiry not known', 2, ticket('active')],
    // ended
    ['expired', null, ticket('expired')],
    ['left', null, ticket('left')],
    ['completed', null, ticket('completed')],
    ['abandoned', null, ticket('abandoned')],
  ])('%s: %s', (_case, expected, view) => {
    expect(pollAfterSeconds(view)).toBe(expected);
  });

  it('tells a waiting holder whole seconds, at least 1, at most 30, and always within a third of abandonSeconds', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 100_000 })),
        fc.option(fc.integer({ min: 1, max: 86_400 })),
        fc.option(fc.integer({ min: -60_000, max: 3_600_000 })),
        (estimatedWaitSeconds, abandonSeconds, opensInMs) => {
          const after = pollAfterSeconds(
            waiting(estimatedWaitSeconds, { abandonSeconds, opensAtMs: opensInMs === null ? null : NOW + opensInMs }),
          )!;
          expect(Number.isInteger(after)).toBe(true);
          expect(after).toBeGreaterThanOrEqual(1);
          expect(after).toBeLessThanOrEqual(30);
          if (abandonSeconds !== null) expect(after).toBeLessThanOrEqual(Math.max(1, abandonSeconds / 3));
        },
      ),
    );
  });
});
