/**
 * Counters and rankings: fans liking and taking back likes, views, and a named counter (bookings), on items
 * skewed to a few popular ones. Likes carry their event time (`at`) and one source sends all of a fan's writes
 * in order, so the newest like-state of each (item, fan) is the last one sent: what the materializer's
 * register must hold.
 */
import type { TrafficContext } from './context.js';
import type { GatewayRequest } from './gateway.js';
import { SourcePool, type Source } from './sources.js';

const FANS_PER_SOURCE = 40;

export interface ItemExpectation {
  likes: number;
  views: number;
  uniqueViewers: number;
  counter: number;
}

export class CounterModel {
  /** (item, fan) → the newest like-state sent. */
  private readonly likeStates = new Map<string, { itemId: string; liked: boolean; atMs: number }>();
  private readonly views = new Map<string, number>();
  private readonly viewers = new Map<string, Set<string>>();
  private readonly sums = new Map<string, number>();
  readonly sent = { likes: 0, unlikes: 0, views: 0, increments: 0 };

  constructor(
    readonly items: readonly string[],
    /** A counter name of this run only, so its ranking holds this run's items and nothing else. */
    readonly counter: string,
  ) {}

  likeState(itemId: string, fanId: string) {
    return this.likeStates.get(`${itemId}\u0000${fanId}`);
  }

  like(itemId: string, fanId: string, liked: boolean, atMs: number): void {
    this.likeStates.set(`${itemId}\u0000${fanId}`, { itemId, liked, atMs });
    this.sent[liked ? 'likes' : 'unlikes']++;
  }

  view(itemId: string, fanId: string): void {
    this.views.set(itemId, (this.views.get(itemId) ?? 0) + 1);
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
    return { likes, views: this.views.get(itemId) ?? 0, uniqueViewers: this.viewers.get(itemId)?.size ?? 0, counter: this.sums.get(itemId) ?? 0 };
  }
}

export class CounterTraffic {
  readonly pool: SourcePool;

  constructor(
    private readonly ctx: TrafficContext,
    private readonly model: CounterModel,
    sourceCount: number,
  ) {
    this.pool = new SourcePool(`${ctx.tag}.counters`, sourceCount, ctx.gateway, ctx.stats);
  }

  /** Sends one write if a source is free; false when every one is busy. */
  next(): boolean {
    const { random } = this.ctx;
    const source = this.pool.pick(random);
    if (!source) return false;
    const itemId = this.model.items[random.skewed(this.model.items.length)]!;
    const fanId = `${this.ctx.tag}-fan-${source.index}-${random.int(FANS_PER_SOURCE)}`;
    const roll = random.next();
    if (roll < 0.4 && this.like(source, itemId, fanId)) return true;
    if (roll < 0.85) this.view(source, itemId, fanId);
    else this.increment(source, itemId);
    return true;
  }

  private like(source: Source, itemId: string, fanId: string): boolean {
    const before = this.model.likeState(itemId, fanId);
    const at = Date.now();
    // the register keeps the newest event time: a like-state in the same millisecond as the last could tie
    if (before && at <= before.atMs) return false;
    // a standing like is taken back half the time, or repeated (which changes nothing); an unlike of nothing too
    const liked = before?.liked ? this.ctx.random.chance(0.5) : this.ctx.random.chance(0.9);
    this.model.like(itemId, fanId, liked, at);
    this.send(source, { method: 'POST', path: `/v1/items/${itemId}/likes`, body: { source: source.name, seq: source.nextSeq(), userId: fanId, liked, at } });
    return true;
  }

  private view(source: Source, itemId: string, fanId: string): void {
    this.model.view(itemId, fanId);
    this.send(source, { method: 'POST', path: `/v1/items/${itemId}/views`, body: { source: source.name, seq: source.nextSeq(), userId: fanId } });
  }

  private increment(source: Source, itemId: string): void {
    const by = 1 + this.ctx.random.int(5);
    this.model.increment(itemId, by);
    this.send(source, { method: 'POST', path: `/v1/items/${itemId}/counters/${this.model.counter}`, body: { source: source.name, seq: source.nextSeq(), by } });
  }

  private send(source: Source, request: GatewayRequest): void {
    source.send({ product: 'counters', request, onAccepted: () => this.ctx.repeats.offer({ product: 'counters', request }) });
  }
}
