import type { GlobalResult, QueueEvent, ViewerCountChanged } from '@tally/schemas';

/**
 * The rule of the live console: what the change topics do to what an operator sees. Pure; the hub in
 * adapters/console feeds it records and the polled reads, and sends each page the view it asked for.
 */

/** How far back the viewers chart goes, and how often it is sampled. */
export const SERIES_WINDOW_MS = 10 * 60_000;
export const SAMPLE_EVERY_MS = 1000;
/** Admissions counted for the admission rate: the last minute. */
export const ADMISSION_RATE_WINDOW_MS = 60_000;
/**
 * Side-topic records remembered to recognise a repeat (the runtime writes them at least once: a crash between the
 * side write and the commit reports the record again, soon after and on the same side partition, as does a replay).
 * Past this many the oldest are forgotten, so a repeat of a record that far back is counted again; it bounds the
 * gateway's memory (about 15 MB) however many records a broken deployment dead-letters.
 */
export const SIDE_RECORDS_REMEMBERED = 100_000;
const MAX_STREAMS_LISTED = 50;
const DEFAULT_CHARTED_STREAMS = 5;

export interface StreamViewers {
  streamId: string;
  concurrent: number;
  asOf: number;
}

export interface ConsoleState {
  /** The newest count per stream, by the count's own time (a late, older change does not win). */
  viewers: Map<string, StreamViewers>;
  /** Per stream: [sample time, concurrent], one per SAMPLE_EVERY_MS, oldest first, at most SERIES_WINDOW_MS back. */
  series: Map<string, [number, number][]>;
  /** Per queue: the times of its admissions within the rate window. */
  admissions: Map<string, number[]>;
  /** The highest version of each poll's global result. */
  polls: Map<string, GlobalResult>;
  /** Per user: wallet outcomes seen (only users some page watches are counted). */
  walletOutcomes: Map<string, number>;
  /** Dead-lettered and late records per consumer group, each source record once. */
  sideRecords: Map<string, GroupSideRecords>;
  /** The side records counted, newest last: `<side> <group> <topic>/<partition>/<offset>`. */
  sideSeen: Set<string>;
}

export const emptyConsoleState = (): ConsoleState => ({
  viewers: new Map(),
  series: new Map(),
  admissions: new Map(),
  polls: new Map(),
  walletOutcomes: new Map(),
  sideRecords: new Map(),
  sideSeen: new Set(),
});

export function recordViewerCount(state: ConsoleState, change: ViewerCountChanged): void {
  const known = state.viewers.get(change.streamId);
  if (known && known.asOf > change.asOfMs) return;
  state.viewers.set(change.streamId, { streamId: change.streamId, concurrent: change.concurrent, asOf: change.asOfMs });
}

/**
 * Appends every stream's current count at `now` and forgets samples older than the chart shows; a stream with
 * no viewers for that long is forgotten altogether, so ended streams do not pile up.
 */
export function sampleViewers(state: ConsoleState, now: number): void {
  for (const { streamId, concurrent, asOf } of state.viewers.values()) {
    if (concurrent === 0 && asOf < now - SERIES_WINDOW_MS) {
      state.viewers.delete(streamId);
      state.series.delete(streamId);
      continue;
    }
    const points = state.series.get(streamId) ?? [];
    points.push([now, concurrent]);
    while (points.length > 0 && points[0]![0] < now - SERIES_WINDOW_MS) points.shift();
    state.series.set(streamId, points);
  }
}

export function recordQueueEvent(state: ConsoleState, event: QueueEvent, now: number): void {
  if (event.kind !== 'ADMITTED' || event.atMs < now - ADMISSION_RATE_WINDOW_MS) {
    // still a queue the console can offer, even with no admission in the last minute
    if (!state.admissions.has(event.queueId)) state.admissions.set(event.queueId, []);
    return;
  }
  const times = state.admissions.get(event.queueId) ?? [];
  times.push(event.atMs);
  forgetBefore(times, now - ADMISSION_RATE_WINDOW_MS);
  state.admissions.set(event.queueId, times);
}

/**
 * Drops the oldest times before `cutoff`, so a busy queue nobody looks at keeps a minute of admissions, not all of
 * them. Each time is dropped once: cheap per event. (Times arrive nearly in order; a late one is caught by the filter.)
 */
function forgetBefore(times: number[], cutoff: number): void {
  if (times.length === 0 || times[0]! >= cutoff) return;
  const firstKept = times.findIndex((at) => at >= cutoff);
  times.splice(0, firstKept === -1 ? times.length : firstKept);
}

export function admissionsPerMinute(state: ConsoleState, queueId: string, now: number): number {
  const times = state.admissions.get(queueId);
  if (!times) return 0;
  const recent = times.filter((at) => at >= now - ADMISSION_RATE_WINDOW_MS);
  // forgets the older ones; the queue stays known
  state.admissions.set(queueId, recent);
  return recent.length;
}

/** A poll's result only moves forward: a replayed or reordered older version is ignored. */
export function recordPollResult(state: ConsoleState, result: GlobalResult): void {
  const known = state.polls.get(result.pollId);
  if (!known || result.version > known.version) state.polls.set(result.pollId, result);
}

export function recordWalletOutcome(state: ConsoleState, userId: string, watched: ReadonlySet<string>): void {
  if (watched.has(userId)) state.walletOutcomes.set(userId, (state.walletOutcomes.get(userId) ?? 0) + 1);
}

/** Where a record went aside: the dead-letter topic (DLQ_TOPIC) or the late topic (LATE_TOPIC). */
export type SideTopic = 'deadLettered' | 'late';

/** What the console takes from a DeadLetter or LateRecord: whose it is, the source record, and why. */
export interface SideReport {
  consumerGroup: string;
  sourceTopic: string;
  partition: number;
  offset: number;
  reasonCode: string;
}

export interface GroupSideRecords {
  deadLettered: number;
  late: number;
  /** Both kinds, per reason code (DECODE_FAILED, AFTER_GRACE, ...). */
  reasons: Record<string, number>;
}

/**
 * Counts a dead-lettered or late record for its consumer group, once per source record: a repeat (the same group
 * reporting the same topic/partition/offset again) changes nothing.
 */
export function recordSideRecord(state: ConsoleState, side: SideTopic, report: SideReport): void {
  const id = `${side} ${report.consumerGroup} ${report.sourceTopic}/${report.partition}/${report.offset}`;
  if (state.sideSeen.has(id)) return;
  state.sideSeen.add(id);
  // a Set iterates in insertion order: the first is the oldest
  if (state.sideSeen.size > SIDE_RECORDS_REMEMBERED) state.sideSeen.delete(state.sideSeen.values().next().value!);
  const counts = state.sideRecords.get(report.consumerGroup) ?? { deadLettered: 0, late: 0, reasons: {} };
  counts[side]++;
  counts.reasons[report.reasonCode] = (counts.reasons[report.reasonCode] ?? 0) + 1;
  state.sideRecords.set(report.consumerGroup, counts);
}

/** What one page asked to see (from its /console/events query). */
export interface ConsoleSubscription {
  streams: string[];
  metric: string;
  window: '1h' | '24h' | 'all';
  queue?: string;
  poll?: string;
  wallet?: string;
}

export interface RankedItem {
  itemId: string;
  score: number;
  rank: number;
}

/** A queue's public figures, as the queue-admitter answers GET /v1/queues/{queueId}. */
export interface QueueFigures {
  waiting: number;
  active: number;
  capacity: number;
  admittedTotal: number;
  state: 'pre-queue' | 'open' | 'paused';
  activeSeconds: number;
  admitPerMinute: number | null;
  /** Epoch ms. */
  opensAt: number | null;
  abandonSeconds: number | null;
  paused: boolean;
  settingsVersion: number;
  outflowPerMinute: number;
  /** How long a user joining now is expected to wait. */
  newcomerWaitSeconds: number;
}

export interface GroupLag {
  group: string;
  lag: number;
  partitions: { topic: string; partition: number; lag: number }[];
}

/** What the hub last read from the owning services (rankings and queue figures have no change topic). */
export interface PolledReads {
  rankings: Map<string, RankedItem[] | { error: string }>;
  queues: Map<string, QueueFigures | { error: string }>;
  lag: GroupLag[];
}

export const rankingKey = (metric: string, window: string): string => `${metric}|${window}`;

export interface ConsoleView {
  at: number;
  viewers: { streams: StreamViewers[]; series: { streamId: string; points: [number, number][] }[] };
  ranking: { metric: string; window: string; items: RankedItem[]; error?: string };
  queue: (QueueFigures & { queueId: string; admissionsPerMinute: number; error?: string }) | null;
  poll: {
    pollId: string;
    version: number;
    global: RankedItemOf<'optionId'>[];
    regions: {
      region: string;
      weight: number;
      votes: number;
      counts: Record<string, number>;
      snapshotAtMs: number | null;
    }[];
  } | null;
  wallet: { userId: string; outcomes: number } | null;
  known: { queues: string[]; polls: string[] };
  lag: GroupLag[];
  /** Per consumer group that has any, by group: the records it dead-lettered or set aside as late (shown beside its lag). */
  sideRecords: (GroupSideRecords & { group: string })[];
}

type RankedItemOf<K extends string> = Record<K, string> & { score: number; rank: number };

/** The view one page gets: everything the console shows, narrowed to that page's choices. */
export function consoleView(
  state: ConsoleState,
  polled: PolledReads,
  asked: ConsoleSubscription,
  now: number,
): ConsoleView {
  const streams = [...state.viewers.values()].sort(
    (a, b) => b.concurrent - a.concurrent || a.streamId.localeCompare(b.streamId),
  );
  const charted =
    asked.streams.length > 0 ? asked.streams : streams.slice(0, DEFAULT_CHARTED_STREAMS).map((s) => s.streamId);
  const ranking = polled.rankings.get(rankingKey(asked.metric, asked.window));
  return {
    at: now,
    viewers: {
      streams: streams.slice(0, MAX_STREAMS_LISTED),
      series: charted.map((streamId) => ({ streamId, points: state.series.get(streamId) ?? [] })),
    },
    ranking: {
      metric: asked.metric,
      window: asked.window,
      ...(ranking === undefined
        ? { items: [] }
        : 'error' in ranking
          ? { items: [], error: ranking.error }
          : { items: ranking }),
    },
    queue: asked.queue === undefined ? null : queueView(state, polled, asked.queue, now),
    poll: asked.poll === undefined ? null : pollView(state.polls.get(asked.poll), asked.poll),
    wallet:
      asked.wallet === undefined
        ? null
        : { userId: asked.wallet, outcomes: state.walletOutcomes.get(asked.wallet) ?? 0 },
    known: { queues: [...state.admissions.keys()].sort(), polls: [...state.polls.keys()].sort() },
    lag: polled.lag,
    sideRecords: [...state.sideRecords]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([group, counts]) => ({ group, ...counts })),
  };
}

function queueView(
  state: ConsoleState,
  polled: PolledReads,
  queueId: string,
  now: number,
): NonNullable<ConsoleView['queue']> {
  const figures = polled.queues.get(queueId);
  const zero: QueueFigures = {
    waiting: 0,
    active: 0,
    capacity: 0,
    admittedTotal: 0,
    state: 'open',
    activeSeconds: 0,
    admitPerMinute: null,
    opensAt: null,
    abandonSeconds: null,
    paused: false,
    settingsVersion: 0,
    outflowPerMinute: 0,
    newcomerWaitSeconds: 0,
  };
  const read = figures === undefined ? zero : 'error' in figures ? { ...zero, error: figures.error } : figures;
  return { queueId, ...read, admissionsPerMinute: admissionsPerMinute(state, queueId, now) };
}

function pollView(result: GlobalResult | undefined, pollId: string): ConsoleView['poll'] {
  if (!result) return { pollId, version: 0, global: [], regions: [] };
  return {
    pollId,
    version: result.version,
    global: result.ranking.map(({ optionId, score, rank }) => ({ optionId, score, rank })),
    regions: Object.entries(result.regions)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([region, r]) => ({
        region,
        weight: r.weight,
        votes: r.votes,
        counts: r.counts,
        snapshotAtMs: r.snapshotAtMs,
      })),
  };
}
