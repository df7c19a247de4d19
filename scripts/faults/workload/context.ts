/** What every product's traffic shares: where to send, how to count, what to choose with, what to repeat later. */
import type { Answer, Gateway, GatewayRequest } from './gateway.js';
import type { Random } from './random.js';
import type { LoadStats, Product } from './stats.js';

export interface TrafficContext {
  /** The run's id made safe for ids and sources: every id the workload makes starts with it. */
  tag: string;
  gateway: Gateway;
  stats: LoadStats;
  random: Random;
  repeats: RepeatSample;
}

/** An accepted write that can be POSTed again as is, and what its repeated answer must say. */
export interface Repeatable {
  product: Product;
  request: GatewayRequest;
  /** A description of what is wrong with the repeat's answer, or undefined when it is right. */
  checkRepeat?: (answer: Answer) => string | undefined;
}

/** A uniform sample of the accepted writes of each product (reservoir sampling), for the duplicates fault. */
export class RepeatSample {
  private readonly kept = new Map<Product, Repeatable[]>();
  private readonly offered = new Map<Product, number>();

  constructor(
    private readonly random: Random,
    private readonly perProduct = 150,
  ) {}

  offer(write: Repeatable): void {
    const seen = (this.offered.get(write.product) ?? 0) + 1;
    this.offered.set(write.product, seen);
    const kept = this.kept.get(write.product) ?? [];
    this.kept.set(write.product, kept);
    if (kept.length < this.perProduct) kept.push(write);
    else {
      const slot = this.random.int(seen);
      if (slot < this.perProduct) kept[slot] = write;
    }
  }

  all(): Repeatable[] {
    return [...this.kept.values()].flat();
  }
}
