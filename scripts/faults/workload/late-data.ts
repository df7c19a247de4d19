/**
 * The workload's own time faults of issue 17, made while the load is paused:
 *
 * - Late retries beyond the window: one source makes a view it holds back (seq 0), sends LATE_RETRY_WRITES
 *   views of the run's items after it (seqs 1..n, so its window of the two newest blocks of 1,024 seqs moves
 *   past seq 0's block, which the services archive), then the held-back one (never sent before: it must count),
 *   then POSTs LATE_RETRY_REPOSTS of its accepted writes again, seq 0 and writes of the archived block among
 *   them (each must count once: not again). All of them are on time: none may reach the late topic.
 * - A late-data burst: LATE_VIEWS views with `at` about 2 h old (late for the 1h ranking only: they count in
 *   every total, the all-time and the 24h ranking) and LATE_HEARTBEATS heartbeats of sessions of their own with
 *   `at` 20 min old (late for the history minute, and beyond the presence tolerance: they make no one present).
 *   Exactly these writes must be in the late topic, each once, and the services' tally_late_records_total must
 *   grow by as many.
 *
 * LateModel is what the late topic must hold of the workload's writes, by writeId (`<source>:<seq>`).
 */
import { BLOCK_SEQS } from '@tally/idempotency';
import { formatWriteKey } from '@tally/contracts';
import type { TrafficContext } from './context.js';
import type { CounterModel } from './counters.js';
import { RefusedWriteError, mapConcurrently, type GatewayRequest } from './gateway.js';
import { sendConcurrently, type Write } from './sources.js';
import type { Injected, Product } from './stats.js';
import type { ViewerModel } from './viewers.js';

/** The windows a record misses, as the services name them in the late topic. */
export const HISTORY_MINUTE_WINDOW = 'viewers.history.minute';
export const RANKING_1H_WINDOW = 'counters.ranking.1h';

export const LATE_RETRY_WRITES = 2500;
export const LATE_RETRY_REPOSTS = 200;
export const LATE_VIEWS = 500;
export const LATE_VIEW_AGE_MS = 2 * 3600_000;
export const LATE_HEARTBEATS = 200;
const LATE_SESSIONS = 40;
export const LATE_HEARTBEAT_AGE_MS = 20 * 60_000;
/** A source sends this many of its writes at once (in no particular order). */
const CONCURRENCY = 8;

export interface ExpectedLate {
  product: Product;
  /** The windows it misses, sorted. */
  windows: string[];
  what: string;
}

export class LateModel {
  /** writeId → what the late topic must say of it; no other write of the workload's may be there. */
  readonly expected = new Map<string, ExpectedLate>();

  expect(writeId: string, late: ExpectedLate): void {
    this.expected.set(writeId, { ...late, windows: [...late.windows].sort() });
  }

  count(product: Product): number {
    let n = 0;
    for (const late of this.expected.values()) if (late.product === product) n++;
    return n;
  }
}

const seqOf = (request: GatewayRequest) => (request.body as { seq: number }).seq;

export async function injectLateRetries(ctx: TrafficContext, counters: CounterModel): Promise<Injected> {
  const began = Date.now();
  const source = `${ctx.tag}.late-retry`;
  const view = (seq: number, at?: number): GatewayRequest => {
    const itemId = counters.items[ctx.random.skewed(counters.items.length)]!;
    const fanId = `${ctx.tag}-retry-fan-${seq % 64}`;
    counters.view(itemId, fanId, at ?? Date.now());
    return {
      method: 'POST',
      path: `/v1/items/${itemId}/views`,
      body: { source, seq, userId: fanId, ...(at === undefined ? {} : { at }) },
    };
  };
  // made first, with its own time, and held back: sent only after thousands of newer writes of its source
  const heldBack = view(0, Date.now());
  const accepted: GatewayRequest[] = [];
  const write = (request: GatewayRequest): Write => ({
    product: 'counters',
    request,
    onAccepted: () => void accepted.push(request),
  });
  await sendConcurrently(
    ctx.gateway,
    ctx.stats,
    Array.from({ length: LATE_RETRY_WRITES }, (_, i) => write(view(i + 1))),
    CONCURRENCY,
  );
  const newerSentMs = Date.now() - began;
  await sendConcurrently(ctx.gateway, ctx.stats, [write(heldBack)], 1);
  // old accepted writes again: seq 0, and a sample over every block of the source's seqs
  const again = [
    heldBack,
    ...ctx.random.shuffle(accepted.filter((r) => r !== heldBack)).slice(0, LATE_RETRY_REPOSTS - 1),
  ];
  // a source's window holds the block of its highest seq and the one before; blocks below are archived
  const archivedBelow = (Math.floor(LATE_RETRY_WRITES / BLOCK_SEQS) - 1) * BLOCK_SEQS;
  const archived = again.filter((r) => seqOf(r) < archivedBelow).length;
  let reposted = 0;
  await mapConcurrently(again, CONCURRENCY, async (request) => {
    try {
      await ctx.gateway.sendUntilAccepted(request);
      reposted++;
      ctx.stats.injected.reposted.counters++;
    } catch (error) {
      ctx.stats.refuse('counters', error instanceof RefusedWriteError ? `late retry: ${error.message}` : String(error));
    }
  });
  return {
    detail:
      `source ${source}: ${LATE_RETRY_WRITES} views (seqs 1–${LATE_RETRY_WRITES}) in ${(newerSentMs / 1000).toFixed(1)} s, then seq 0 (held back, never sent before), ` +
      `then ${reposted} accepted writes POSTed again (${archived} of them, seq 0 among them, below seq ${archivedBelow}: blocks the services archived as the source's seqs went on)`,
    numbers: { writes: LATE_RETRY_WRITES + 1, repostedAgain: reposted, repostedFromArchivedBlock: archived },
  };
}

export async function injectLateBurst(
  ctx: TrafficContext,
  counters: CounterModel,
  viewers: ViewerModel,
  late: LateModel,
): Promise<Injected> {
  const now = Date.now();
  const writes: Write[] = [];
  const viewSource = `${ctx.tag}.late-views`;
  for (let seq = 0; seq < LATE_VIEWS; seq++) {
    const itemId = counters.items[ctx.random.skewed(counters.items.length)]!;
    const fanId = `${ctx.tag}-late-fan-${seq % 100}`;
    const at = now - LATE_VIEW_AGE_MS - ctx.random.int(10 * 60_000);
    counters.view(itemId, fanId, at, true);
    late.expect(formatWriteKey({ source: viewSource, seq }), {
      product: 'counters',
      windows: [RANKING_1H_WINDOW],
      what: 'a view sent 2 h old',
    });
    writes.push({
      product: 'counters',
      request: {
        method: 'POST',
        path: `/v1/items/${itemId}/views`,
        body: { source: viewSource, seq, userId: fanId, at },
      },
    });
  }
  const beatSource = `${ctx.tag}.late-beats`;
  for (let seq = 0; seq < LATE_HEARTBEATS; seq++) {
    const session = seq % LATE_SESSIONS;
    const beatOfSession = Math.floor(seq / LATE_SESSIONS);
    const sessionId = `${ctx.tag}-late-session-${session}`;
    const streamId = viewers.streams[session % viewers.streams.length]!;
    const at = now - LATE_HEARTBEAT_AGE_MS + beatOfSession * 5000 + session;
    viewers.sent(sessionId, { streamId, keeper: false, clock: 'right', ended: false });
    late.expect(formatWriteKey({ source: beatSource, seq }), {
      product: 'viewers',
      windows: [HISTORY_MINUTE_WINDOW],
      what: 'a heartbeat sent 20 min old',
    });
    writes.push({
      product: 'viewers',
      request: {
        method: 'POST',
        path: `/v1/streams/${streamId}/heartbeats`,
        body: {
          source: beatSource,
          seq,
          sessionId,
          userId: `${ctx.tag}-late-viewer-${session}`,
          positionMs: (beatOfSession + 1) * 5000,
          at,
        },
      },
      onAccepted: (_answer, timing) => viewers.accepted(sessionId, { atMs: at, ended: false }, timing),
    });
  }
  await sendConcurrently(ctx.gateway, ctx.stats, ctx.random.shuffle(writes), CONCURRENCY);
  return {
    detail: `${LATE_VIEWS} views with at 2 h–2 h 10 min old (source ${viewSource}) and ${LATE_HEARTBEATS} heartbeats of ${LATE_SESSIONS} sessions of their own with at 20 min old (source ${beatSource}), in ${((Date.now() - now) / 1000).toFixed(1)} s`,
    numbers: { lateViews: LATE_VIEWS, lateHeartbeats: LATE_HEARTBEATS },
  };
}
