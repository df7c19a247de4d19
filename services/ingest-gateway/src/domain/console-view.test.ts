import { describe, expect, it } from 'vitest';
import type { GlobalResult, QueueEvent } from '@tally/schemas';
import {
  ADMISSION_RATE_WINDOW_MS,
  SERIES_WINDOW_MS,
  SIDE_RECORDS_REMEMBERED,
  consoleView,
  emptyConsoleState,
  rankingKey,
  recordPollResult,
  recordQueueEvent,
  recordSideRecord,
  recordViewerCount,
  recordWalletOutcome,
  sampleViewers,
  type ConsoleSubscription,
  type PolledReads,
} from './console-view.js';

const T = 1_800_000_000_000;
const asked = (more: Partial<ConsoleSubscription> = {}): ConsoleSubscription => ({
  streams: [],
  metric: 'likes',
  window: '1h',
  ...more,
});
const nothingPolled = (): PolledReads => ({ rankings: new Map(), queues: new Map(), lag: [] });
const count = (streamId: string, concurrent: number, asOfMs: number) => ({
  streamId,
  concurrent,
  previous: 0,
  windowSeconds: 30,
  asOfMs,
});
const admitted = (queueId: string, atMs: number, kind: QueueEvent['kind'] = 'ADMITTED'): QueueEvent => ({
  queueId,
  ticketId: `t${atMs}`,
  userId: 'u',
  kind,
  atMs,
  expiresAtMs: null,
});
const result = (pollId: string, version: number, leader: string): GlobalResult => ({
  pollId,
  version,
  ranking: [{ optionId: leader, score: 0.75, rank: 1 }],
  regions: {
    kr: { weight: 1, votes: 4, counts: { [leader]: 3, other: 1 }, snapshotVersion: version, snapshotAtMs: T },
  },
  computedAtMs: T,
});

describe('live viewers on the console', () => {
  it('keeps the newest count per stream, so a late older change does not win', () => {
    const state = emptyConsoleState();
    recordViewerCount(state, count('s1', 5, T + 2000));
    recordViewerCount(state, count('s1', 3, T + 1000));
    expect(consoleView(state, nothingPolled(), asked(), T).viewers.streams).toEqual([
      { streamId: 's1', concurrent: 5, asOf: T + 2000 },
    ]);
  });

  it('lists the most watched streams first and charts the top five unless the page names its own', () => {
    const state = emptyConsoleState();
    for (const [i, n] of [3, 9, 1, 7, 5, 2].entries()) recordViewerCount(state, count(`s${i}`, n, T));
    sampleViewers(state, T);
    const view = consoleView(state, nothingPolled(), asked(), T);
    expect(view.viewers.streams.map((s) => s.concurrent)).toEqual([9, 7, 5, 3, 2, 1]);
    expect(view.viewers.series.map((s) => s.streamId)).toEqual(['s1', 's3', 's4', 's0', 's5']);
    expect(consoleView(state, nothingPolled(), asked({ streams: ['s2', 'unknown'] }), T).viewers.series).toEqual([
      { streamId: 's2', points: [[T, 1]] },
      { streamId: 'unknown', points: [] },
    ]);
  });

  it('samples every stream each time and forgets what is older than the chart shows', () => {
    const state = emptyConsoleState();
    recordViewerCount(state, count('s1', 1, T));
    sampleViewers(state, T);
    recordViewerCount(state, count('s1', 4, T + 1000));
    sampleViewers(state, T + 1000);
    sampleViewers(state, T + SERIES_WINDOW_MS + 500);
    expect(state.series.get('s1')).toEqual([
      [T + 1000, 4],
      [T + SERIES_WINDOW_MS + 500, 4],
    ]);
  });

  it('forgets a stream that has had no viewers for as long as the chart shows', () => {
    const state = emptyConsoleState();
    recordViewerCount(state, count('ended', 0, T));
    recordViewerCount(state, count('live', 2, T));
    sampleViewers(state, T + SERIES_WINDOW_MS - 1);
    expect([...state.viewers.keys()]).toEqual(['ended', 'live']);
    sampleViewers(state, T + SERIES_WINDOW_MS + 1);
    expect([...state.viewers.keys()]).toEqual(['live']);
    expect([...state.series.keys()]).toEqual(['live']);
  });
});

describe('the queue on the console', () => {
  it('counts the admissions of the last minute only', () => {
    const state = emptyConsoleState();
    const now = T + ADMISSION_RATE_WINDOW_MS + 10_000;
    recordQueueEvent(state, admitted('q', T), now);
    recordQueueEvent(state, admitted('q', T + 20_000), now);
    recordQueueEvent(state, admitted('q', T + 30_000), now);
    recordQueueEvent(state, admitted('q', T + 40_000, 'COMPLETED'), now);
    const view = consoleView(state, nothingPolled(), asked({ queue: 'q' }), now);
    expect(view.queue?.admissionsPerMinute).toBe(2);
    expect(view.known.queues).toEqual(['q']);
  });

  it('keeps only the last minute of admissions of a busy queue, watched or not', () => {
    const state = emptyConsoleState();
    for (let i = 0; i < 10_000; i++) recordQueueEvent(state, admitted('busy', T + i * 100), T + i * 100);
    expect(state.admissions.get('busy')!.length).toBeLessThanOrEqual(ADMISSION_RATE_WINDOW_MS / 100 + 1);
  });

  it("shows the owner's figures, or the owner's error, with the rate", () => {
    const state = emptyConsoleState();
    const polled = nothingPolled();
    const figures = {
      waiting: 3,
      active: 2,
      capacity: 2,
      admittedTotal: 2,
      state: 'open' as const,
      activeSeconds: 180,
      admitPerMinute: 30,
      opensAt: null,
      abandonSeconds: 60,
      paused: false,
      settingsVersion: 2,
      outflowPerMinute: 0.7,
      newcomerWaitSeconds: 270,
    };
    polled.queues.set('q', figures);
    polled.queues.set('gone', { error: 'no queue gone' });
    expect(consoleView(state, polled, asked({ queue: 'q' }), T).queue).toEqual({
      queueId: 'q',
      ...figures,
      admissionsPerMinute: 0,
    });
    expect(consoleView(state, polled, asked({ queue: 'gone' }), T).queue).toMatchObject({
      queueId: 'gone',
      waiting: 0,
      error: 'no queue gone',
    });
    expect(consoleView(state, polled, asked(), T).queue).toBeNull();
    // asking for a queue does not make it one the console offers: only the change topic does
    expect(consoleView(state, polled, asked({ queue: 'q' }), T).known.queues).toEqual([]);
  });
});

describe('polls on the console', () => {
  it('only moves a result forward: a replayed older version is ignored', () => {
    const state = emptyConsoleState();
    recordPollResult(state, result('p', 2, 'b'));
    recordPollResult(state, result('p', 1, 'a'));
    const poll = consoleView(state, nothingPolled(), asked({ poll: 'p' }), T).poll;
    expect(poll).toEqual({
      pollId: 'p',
      version: 2,
      global: [{ optionId: 'b', score: 0.75, rank: 1 }],
      regions: [{ region: 'kr', weight: 1, votes: 4, counts: { b: 3, other: 1 }, snapshotAtMs: T }],
    });
  });

  it('shows an empty result for a poll with no result yet', () => {
    expect(consoleView(emptyConsoleState(), nothingPolled(), asked({ poll: 'none' }), T).poll).toEqual({
      pollId: 'none',
      version: 0,
      global: [],
      regions: [],
    });
  });
});

describe('rankings, wallets and lag on the console', () => {
  it('shows the ranking the page asked for, or why it cannot', () => {
    const polled = nothingPolled();
    polled.rankings.set(rankingKey('likes', '1h'), [{ itemId: 'i', score: 3, rank: 1 }]);
    polled.rankings.set(rankingKey('views', 'all'), { error: 'unreachable' });
    const state = emptyConsoleState();
    expect(consoleView(state, polled, asked(), T).ranking).toEqual({
      metric: 'likes',
      window: '1h',
      items: [{ itemId: 'i', score: 3, rank: 1 }],
    });
    expect(consoleView(state, polled, asked({ metric: 'views', window: 'all' }), T).ranking).toEqual({
      metric: 'views',
      window: 'all',
      items: [],
      error: 'unreachable',
    });
    expect(consoleView(state, polled, asked({ window: '24h' }), T).ranking.items).toEqual([]);
  });

  it('counts wallet outcomes only for users a page watches', () => {
    const state = emptyConsoleState();
    const watched = new Set(['alice']);
    recordWalletOutcome(state, 'alice', watched);
    recordWalletOutcome(state, 'alice', watched);
    recordWalletOutcome(state, 'bob', watched);
    expect(state.walletOutcomes).toEqual(new Map([['alice', 2]]));
    expect(consoleView(state, nothingPolled(), asked({ wallet: 'alice' }), T).wallet).toEqual({
      userId: 'alice',
      outcomes: 2,
    });
  });

  it('passes the lag through as read', () => {
    const polled = nothingPolled();
    polled.lag = [{ group: 'g', lag: 4, partitions: [{ topic: 't', partition: 0, lag: 4 }] }];
    expect(consoleView(emptyConsoleState(), polled, asked(), T).lag).toEqual(polled.lag);
  });
});

describe('dead-lettered and late records on the console', () => {
  const report = (
    consumerGroup: string,
    offset: number,
    reasonCode: string,
    sourceTopic = 'tally.wallet.commands',
  ) => ({ consumerGroup, sourceTopic, partition: 1, offset, reasonCode });

  it('counts each group’s dead-lettered and late records, each source record once, with their reasons', () => {
    const state = emptyConsoleState();
    recordSideRecord(state, 'deadLettered', report('wallet-ledger', 10, 'REJECTED'));
    // reported again (at least once): not counted again
    recordSideRecord(state, 'deadLettered', report('wallet-ledger', 10, 'REJECTED'));
    recordSideRecord(state, 'deadLettered', report('wallet-ledger', 11, 'DECODE_FAILED'));
    recordSideRecord(state, 'late', report('viewer-aggregator', 10, 'AFTER_GRACE', 'tally.viewers.heartbeats'));
    recordSideRecord(state, 'late', report('viewer-aggregator', 10, 'AFTER_GRACE', 'tally.viewers.heartbeats'));
    // the same source record set aside by another group (a rebuild beside the service) is that group's own
    recordSideRecord(state, 'late', report('viewer-aggregator-rebuild', 10, 'AFTER_GRACE', 'tally.viewers.heartbeats'));
    expect(consoleView(state, nothingPolled(), asked(), T).sideRecords).toEqual([
      { group: 'viewer-aggregator', deadLettered: 0, late: 1, reasons: { AFTER_GRACE: 1 } },
      { group: 'viewer-aggregator-rebuild', deadLettered: 0, late: 1, reasons: { AFTER_GRACE: 1 } },
      { group: 'wallet-ledger', deadLettered: 2, late: 0, reasons: { REJECTED: 1, DECODE_FAILED: 1 } },
    ]);
  });

  it('remembers a bounded number of records for recognising repeats, forgetting the oldest first', () => {
    const state = emptyConsoleState();
    for (let offset = 0; offset <= SIDE_RECORDS_REMEMBERED; offset++)
      recordSideRecord(state, 'deadLettered', report('g', offset, 'REJECTED'));
    expect(state.sideSeen.size).toBe(SIDE_RECORDS_REMEMBERED);
    // the newest is still recognised; the oldest, forgotten, counts again
    recordSideRecord(state, 'deadLettered', report('g', SIDE_RECORDS_REMEMBERED, 'REJECTED'));
    expect(state.sideRecords.get('g')!.deadLettered).toBe(SIDE_RECORDS_REMEMBERED + 1);
    recordSideRecord(state, 'deadLettered', report('g', 0, 'REJECTED'));
    expect(state.sideRecords.get('g')!.deadLettered).toBe(SIDE_RECORDS_REMEMBERED + 2);
  });

  it('shows no side records until there are some', () => {
    expect(consoleView(emptyConsoleState(), nothingPolled(), asked(), T).sideRecords).toEqual([]);
  });
});
