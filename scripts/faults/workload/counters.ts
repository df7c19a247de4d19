/**
 * Counters and rankings: fans liking and taking back likes, views, and a named counter (bookings), on items
 * skewed to a few popular ones. One source sends all of a fan's writes, in order.
 *
 * Likes carry their time (`at`) and the materializer keeps per (item, fan) the like-state with the newest event
 * time (@tally/event-time: `at`, never after the receipt; the receipt for a clock never set). Sources whose
 * device clock is skewed (the skewed-clocks fault: one clock per source, so a fan's own order is kept while it
 * lasts) make event times that are not the order of sending: a like from a clock 60 s behind can be older than
 * the fan's like of a moment ago, and loses. The model judges each like as the services do, with the receipt
 * known only as [first attempt sent, accepted]; a like whose order against the fan's register that leaves open is
 * not made (the source makes a view instead), so the expected likes stay exact.
 */
import { eventTimeBounds, RIGHT, type Bounds, type Clock, type ClockName } from './clocks.js';
import type { TrafficContext } from './context.js';
import type { GatewayRequest } from './gateway.js';
import { SourcePool, type Source, type WriteTiming } from './sources.js';

const FANS_PER_SOURCE = 40;

export interface ItemExpectation {
  likes: number;
  views: number;
  /** Views whose event time is inside the 1h ranking window (all but the ones sent hours old on purpose). */
  viewsLastHour: number;
  uniqueViewers: number;
  counter: number;
}

interface LikeRegister {
  itemId: string;
  liked: boolean;
  /** Its event time as the materializer judges it (a point unless it rests on the receipt time). */
  eventTime: Bounds;
}

export type LikeOrder = 'newer' | 'older' | 'unsure';

export class CounterModel {
  /** (item, fan) → the like-state with the newest event time sent: the register the materializer must hold. */
  private readonly likeStates = new Map<string, LikeRegister>();
  private readonly views = new Map<string, number>();
  private readonly viewsBeforeLastHour = new Map<string, number>();
  private readonly viewers = new Map<string, Set<string>>();
  private readonly sums = new Map<string, number>();
  readonly sent = { likes: 0, unlikes: 0, olderLikeStates: 0, views: 0, increments: 0, skewedClock: 0 };
  /** The earliest event time (its lower bound) of a view that must count in the 1h ranking. */
  oldestLastHourViewMs = Number.POSITIVE_INFINITY;

  constructor(
    readonly items: readonly string[],
    /** A counter name of this run only, so its ranking holds this run's items and nothing else. */
    readonly counter: string,
  ) {}

  /** Whether a like-state with `eventTime` is certainly newer or older than the fan's register, or may be either. */
  likeOrder(itemId: string, fanId: string, eventTime: Bounds): LikeOrder {
    const register = this.likeStates.get(`${itemId}\u0000${fanId}`);
    if (!register || eventTime.from > register.eventTime.to) return 'newer';
    if (eventTime.to < register.eventTime.from) return 'older';
    return 'unsure';
  }

  likeState(itemId: string, fanId: string): { liked: boolean } | undefined {
    return this.likeStates.get(`${itemId}\u0000${fanId}`);
  }

  /** A like-state sent: the fan's new register when `order` is newer (its bounds narrowed once accepted), else it loses. */
  like(
    itemId: string,
    fanId: string,
    liked: boolean,
    eventTime: Bounds,
    order: Exclude<LikeOrder, 'unsure'>,
  ): { eventTime: Bounds } {
    this.sent[liked ? 'likes' : 'unlikes']++;
    if (order === 'older') {
      this.sent.olderLikeStates++;
      return { eventTime };
    }
    const register = { itemId, liked, eventTime };
    this.likeStates.set(`${itemId}\u0000${fanId}`, register);
    return register;
  }

  /** A view whose event time is at least `eventFromMs`; `beforeLastHour`: sent so old it is outside the 1h window. */
  view(itemId: string, fanId: string, eventFromMs: number, beforeLastHour = false): void {
    this.views.set(itemId, (this.views.get(itemId) ?? 0) + 1);
    if (beforeLastHour) this.viewsBeforeLastHour.set(itemId, (this.viewsBeforeLastHour.get(itemId) ?? 0) + 1);
    else this.oldestLastHourViewMs = Math.min(this.oldestLastHourViewMs, eventFromMs);
    const seen = this.viewers.get(itemId) ?? new Set<string>();
    this.viewers.set(itemId, seen.add(fanId));
    this.sent.views++;
  }

  increment(itemId: string, by: number): void {
    this.sums.set(itemId, (this.sums.get(itemId) ?? 0) + by);
    this.sent.increments++;
  }

  expected(itemId: string): ItemExpectation {
    let likes = 0;
    for (const state of this.likeStates.values()) if (state.itemId === itemId && state.liked) likes++;
    const views = this.views.get(itemId) ?? 0;
    return {
      likes,
      views,
      viewsLastHour: views - (this.viewsBeforeLastHour.get(itemId) ?? 0),
      uniqueViewers: this.viewers.get(itemId)?.size ?? 0,
      counter: this.sums.get(itemId) ?? 0,
    };
  }
}

export class CounterTraffic {
  readonly pool: SourcePool;
  /** Per source: its device's clock. */
  private clocks: Clock[];
  /** Per source: the (item, fan) it sent a like-state for last. */
  private readonly lastLiked: ({ itemId: string; fanId: string } | undefined)[];

  constructor(
    private readonly ctx: TrafficContext,
    private readonly model: CounterModel,
    sourceCount: number,
  ) {
    this.pool = new SourcePool(`${ctx.tag}.counters`, sourceCount, ctx.gateway, ctx.stats);
    this.clocks = this.pool.sources.map(() => RIGHT);
    this.lastLiked = this.pool.sources.map(() => undefined);
  }

  /** Each source's clock from now on: `clockOf(source index)`. */
  setClocks(clockOf: (sourceIndex: number) => Clock): Record<ClockName, number> {
    this.clocks = this.pool.sources.map((s) => clockOf(s.index));
    const counts: Record<ClockName, number> = { right: 0, behind: 0, ahead: 0, unset: 0 };
    for (const clock of this.clocks) counts[clock.name]++;
    return counts;
  }

  /** Sends one write if a source is free; false when every one is busy. */
  next(): boolean {
    const { random } = this.ctx;
    const source = this.pool.pick(random);
    if (!source) return false;
    // a skewed device takes its fan's last like back or repeats it, often: the first one after its clock went
    // 60 s behind is older by event time than the like of a moment ago, and must lose
    const last = this.lastLiked[source.index];
    if (last && this.clocks[source.index] !== RIGHT && random.chance(0.5) && this.like(source, last.itemId, last.fanId))
      return true;
    const itemId = this.model.items[random.skewed(this.model.items.length)]!;
    const fanId = `${this.ctx.tag}-fan-${source.index}-${random.int(FANS_PER_SOURCE)}`;
    const roll = random.next();
    if (roll < 0.4 && this.like(source, itemId, fanId)) return true;
    if (roll < 0.85) this.view(source, itemId, fanId);
    else this.increment(source, itemId);
    return true;
  }

  /** The `at` a write of `source` carries: none from a right clock (the receipt time stands), else its skewed reading. */
  private clockReading(source: Source, madeAtMs: number): { at?: number } {
    const clock = this.clocks[source.index]!;
    if (clock === RIGHT) return {};
    this.model.sent.skewedClock++;
    return { at: clock.at(madeAtMs) };
  }

  private like(source: Source, itemId: string, fanId: string): boolean {
    const madeAt = Date.now();
    const at = this.clocks[source.index]!.at(madeAt);
    const eventTime = eventTimeBounds(at, madeAt);
    const order = this.model.likeOrder(itemId, fanId, eventTime);
    // an order the receipt times would decide (a like in the same millisecond, one still in flight) is not made
    if (order === 'unsure') return false;
    // a standing like is taken back half the time, or repeated (which changes nothing); an unlike of nothing too
    const liked = this.model.likeState(itemId, fanId)?.liked
      ? this.ctx.random.chance(0.5)
      : this.ctx.random.chance(0.9);
    const register = this.model.like(itemId, fanId, liked, eventTime, order);
    this.lastLiked[source.index] = { itemId, fanId };
    if (this.clocks[source.index] !== RIGHT) this.model.sent.skewedClock++;
    const request: GatewayRequest = {
      method: 'POST',
      path: `/v1/items/${itemId}/likes`,
      body: { source: source.name, seq: source.nextSeq(), userId: fanId, liked, at },
    };
    this.send(source, request, (timing) => void (register.eventTime = eventTimeBounds(at, madeAt, timing)));
    return true;
  }

  private view(source: Source, itemId: string, fanId: string): void {
    const madeAt = Date.now();
    const reading = this.clockReading(source, madeAt);
    this.model.view(itemId, fanId, eventTimeBounds(reading.at ?? madeAt, madeAt).from);
    this.send(source, {
      method: 'POST',
      path: `/v1/items/${itemId}/views`,
      body: { source: source.name, seq: source.nextSeq(), userId: fanId, ...reading },
    });
  }

  private increment(source: Source, itemId: string): void {
    const by = 1 + this.ctx.random.int(5);
    this.model.increment(itemId, by);
    const reading = this.clockReading(source, Date.now());
    this.send(source, {
      method: 'POST',
      path: `/v1/items/${itemId}/counters/${this.model.counter}`,
      body: { source: source.name, seq: source.nextSeq(), by, ...reading },
    });
  }

  private send(source: Source, request: GatewayRequest, accepted?: (timing: WriteTiming) => void): void {
    source.send({
      product: 'counters',
      request,
      onAccepted: (_answer, timing) => {
        accepted?.(timing);
        this.ctx.repeats.offer({ product: 'counters', request });
      },
    });
  }
}
