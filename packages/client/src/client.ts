/**
 * Writes for the developer: `write` names the write with the installation's source and its next seq, keeps it
 * in the outbox, and sends it until Tally acknowledges it, with the same (source, seq) on every attempt, in
 * this page or after a reload. Refusals that sending again cannot fix reject the write with a TallyError.
 */
import { TallyError } from './errors.js';
import { Outbox, type PendingWrite } from './outbox.js';
import { DEFAULT_BACKOFF, nextDelay, retryAfterMs, type Backoff } from './retry.js';
import { SeqAllocator, loadSource } from './seq.js';
import type { KeyValueStore } from './store.js';

export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface ClientOptions {
  baseUrl: string;
  apiKey?: string;
  store: KeyValueStore;
  /** The source's prefix, e.g. the app's name (the rest is random, made once per store). */
  sourcePrefix?: string;
  fetch?: typeof fetch;
  clock?: Clock;
  backoff?: Backoff;
  random?: () => number;
  outboxCapacity?: number;
}

export interface Acknowledged {
  id: string;
  status: number;
  body: unknown;
}

export class TallyClient {
  private readonly outbox: Outbox;
  private readonly seqs: SeqAllocator;
  private readonly waiting = new Map<
    string,
    { resolve: (ack: Acknowledged) => void; reject: (error: unknown) => void }
  >();
  private source: Promise<string> | undefined;
  private timer: unknown;
  private flushing: Promise<void> | undefined;
  private readonly clock: Clock;
  private readonly send: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.outbox = new Outbox(options.store, options.outboxCapacity);
    this.seqs = new SeqAllocator(options.store);
    this.clock = options.clock ?? systemClock;
    this.send = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** The writes left by an earlier page or process are sent again, under their own names. */
  async start(): Promise<void> {
    await this.outbox.load();
    this.wake(0);
  }

  /** Names the write, keeps it, and resolves once Tally acknowledged it (or rejects with what refused it). */
  async write(path: string, body: Record<string, unknown>, method: 'POST' | 'PUT' = 'POST'): Promise<Acknowledged> {
    this.source ??= loadSource(this.options.store, this.options.sourcePrefix);
    const [source, seq] = await Promise.all([this.source, this.seqs.allocate()]);
    const id = `${source}:${seq}`;
    const pending: PendingWrite = { id, method, path, body: { ...body, source, seq }, attempts: 0, notBefore: 0 };
    const acknowledged = new Promise<Acknowledged>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    await this.outbox.add(pending);
    this.wake(0);
    return acknowledged;
  }

  get pending(): number {
    return this.outbox.size;
  }

  /** Sends every due write once; what stays pending is scheduled again. */
  flush(): Promise<void> {
    this.flushing ??= this.sendDue().finally(() => {
      this.flushing = undefined;
      const next = this.outbox.nextDue();
      if (next !== undefined) this.wake(Math.max(0, next - this.clock.now()));
    });
    return this.flushing;
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private wake(ms: number): void {
    this.stop();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, ms);
  }

  private async sendDue(): Promise<void> {
    for (const write of this.outbox.due(this.clock.now())) await this.attempt(write);
  }

  private async attempt(write: PendingWrite): Promise<void> {
    let response: Response;
    try {
      response = await this.send(new URL(write.path, this.options.baseUrl), {
        method: write.method,
        headers: {
          'content-type': 'application/json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify(write.body),
        keepalive: true,
      });
    } catch {
      return this.retryLater(write, undefined);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (response.ok) return this.finish(write.id, { id: write.id, status: response.status, body });
    const error = new TallyError(response.status, body);
    if (error.retriable) {
      return this.retryLater(write, retryAfterMs(response.headers.get('retry-after'), this.clock.now()));
    }
    return this.finish(write.id, error);
  }

  private async retryLater(write: PendingWrite, retryAfter: number | undefined): Promise<void> {
    const delay = nextDelay(write.attempts, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random, retryAfter);
    await this.outbox.reschedule(write.id, this.clock.now() + delay);
  }

  private async finish(id: string, outcome: Acknowledged | TallyError): Promise<void> {
    await this.outbox.settle(id);
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    if (outcome instanceof TallyError) waiter?.reject(outcome);
    else waiter?.resolve(outcome);
  }
}
