/**
 * Sources, as docs/API.md names them: each writes with its own `source` and seqs counting up from 0, one write at
 * a time, in order, retrying each until the gateway accepts it (the client side of at-least-once). Sending in
 * order matters twice: what one source says about one thing (a user's like, then unlike) reaches Kafka in that
 * order, and a retry never falls behind the services' bounded (source, seq) windows.
 */
import { RefusedWriteError, type Answer, type Gateway, type GatewayRequest } from './gateway.js';
import type { Random } from './random.js';
import type { LoadStats, Product } from './stats.js';

export interface WriteTiming {
  /** When the first attempt left (epoch ms, this machine's clock, as the gateway's). */
  firstSentAtMs: number;
  /** When the accepting answer came back. */
  acceptedAtMs: number;
}

export interface Write {
  product: Product;
  request: GatewayRequest;
  /** Called once, with the accepting answer. */
  onAccepted?: (answer: Answer, timing: WriteTiming) => void;
}

export class Source {
  private seqs = 0;
  private readonly backlog: Write[] = [];
  private delivering = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly name: string,
    /** Position in its pool: what the source owns (users, sessions) is chosen by it. */
    readonly index: number,
    private readonly gateway: Gateway,
    private readonly stats: LoadStats,
  ) {}

  nextSeq(): number {
    return this.seqs++;
  }

  /** Writes queued or in flight. */
  get pending(): number {
    return this.backlog.length + (this.delivering ? 1 : 0);
  }

  send(write: Write): void {
    this.backlog.push(write);
    if (!this.delivering) void this.deliverAll();
  }

  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async deliverAll(): Promise<void> {
    this.delivering = true;
    for (let write = this.backlog.shift(); write; write = this.backlog.shift()) await this.deliver(write);
    this.delivering = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private deliver(write: Write): Promise<void> {
    return deliver(this.gateway, this.stats, write);
  }
}

/** Sends one write until accepted, counting it; a refusal is counted and reported, never retried. */
async function deliver(gateway: Gateway, stats: LoadStats, write: Write): Promise<void> {
  const { product } = write;
  stats.sent[product]++;
  const firstSentAtMs = Date.now();
  try {
    const { answer, attempts } = await gateway.sendUntilAccepted(write.request);
    stats.accepted[product]++;
    stats.retried[product] += attempts - 1;
    write.onAccepted?.(answer, { firstSentAtMs, acceptedAtMs: Date.now() });
  } catch (error) {
    // a refusal is the workload's own bug: counted and reported, never retried (it would be refused again)
    stats.refuse(product, error instanceof RefusedWriteError ? error.message : String(error));
  }
}

/**
 * Writes of one source sent `concurrency` at a time (so in no particular order, which a source may do: the
 * services tell its writes apart by seq, not by arrival), each until accepted; resolves when all are.
 */
export async function sendConcurrently(
  gateway: Gateway,
  stats: LoadStats,
  writes: readonly Write[],
  concurrency: number,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < writes.length) await deliver(gateway, stats, writes[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, writes.length) }, worker));
}

export class SourcePool {
  readonly sources: Source[];

  constructor(
    prefix: string,
    size: number,
    gateway: Gateway,
    stats: LoadStats,
    /** Writes a source may hold beyond the one in flight before it counts as busy. */
    private readonly maxBacklog = 2,
  ) {
    this.sources = Array.from({ length: size }, (_, i) => new Source(`${prefix}.${i}`, i, gateway, stats));
  }

  /** A source that can take a write now (an idle one if any), or undefined when all are busy. */
  pick(random: Random): Source | undefined {
    const start = random.int(this.sources.length);
    let fallback: Source | undefined;
    for (let i = 0; i < this.sources.length; i++) {
      const source = this.sources[(start + i) % this.sources.length]!;
      if (source.pending === 0) return source;
      if (!fallback && source.pending <= this.maxBacklog) fallback = source;
    }
    return fallback;
  }

  async idle(): Promise<void> {
    await Promise.all(this.sources.map((s) => s.idle()));
  }
}
