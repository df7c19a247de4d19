/**
 * The clock of the load: every few milliseconds it makes the writes that are due at the chosen rate, shared
 * between the products by weight, and beats the players that are due; once a second it lets the queue's
 * clients poll their tickets. Open loop, as real clients: a product whose sources are all busy (retrying while
 * Kafka is down) skips its turn and the skip is counted, rather than piling writes up.
 */
import type { Random } from './random.js';
import type { SourcePool } from './sources.js';
import type { LoadStats, Product } from './stats.js';
import type { ViewerTraffic } from './viewers.js';

export interface RateDriven {
  product: Product;
  /** Share of the rate not spent on heartbeats. */
  weight: number;
  traffic: {
    /** Makes and sends one write; false when every source is busy. */
    next(): boolean;
    pool: SourcePool;
  };
}

const TICK_MS = 20;
const POLL_EVERY_MS = 1000;
/** After a stall (a long GC, the machine busy), a tick makes at most this much of the schedule at once. */
const MAX_BURST_SECONDS = 0.1;

export class LoadLoop {
  private timer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private startedAtMs = 0;
  private issued = 0;

  constructor(
    /** Writes per second over the rate-driven products (heartbeats come on top, from the players' own clock). */
    private readonly ratePerSecond: number,
    private readonly traffic: RateDriven[],
    private readonly viewers: ViewerTraffic,
    private readonly poll: () => Promise<void>,
    private readonly stats: LoadStats,
    private readonly random: Random,
  ) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.startedAtMs = Date.now();
    this.issued = 0;
    this.viewers.reschedule(this.startedAtMs);
    // unref: the load never holds the process open on its own
    this.timer = setInterval(() => this.tick(), TICK_MS).unref();
    this.pollTimer = setInterval(() => {
      this.polling = this.polling.then(this.poll).catch(() => undefined);
    }, POLL_EVERY_MS).unref();
  }

  /** Stops making writes; resolves once every write made so far has been accepted. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.pollTimer);
    this.timer = undefined;
    this.pollTimer = undefined;
    // a poll under way may still complete a ticket: wait for it before waiting for the sources
    await this.polling;
    await Promise.all([this.viewers.pool.idle(), ...this.traffic.map((t) => t.traffic.pool.idle())]);
  }

  private tick(): void {
    const now = Date.now();
    this.viewers.tick(now);
    const due = Math.floor((this.ratePerSecond * (now - this.startedAtMs)) / 1000) - this.issued;
    // after a stall the schedule is caught up over the next ticks, not in one burst; nothing is dropped unseen
    const making = Math.min(due, Math.ceil(this.ratePerSecond * MAX_BURST_SECONDS));
    this.issued += making;
    const totalWeight = this.traffic.reduce((sum, t) => sum + t.weight, 0);
    for (let i = 0; i < making; i++) {
      let roll = this.random.next() * totalWeight;
      const chosen = this.traffic.find((t) => (roll -= t.weight) < 0) ?? this.traffic[this.traffic.length - 1]!;
      if (!chosen.traffic.next()) this.stats.skipped[chosen.product]++;
    }
  }
}
