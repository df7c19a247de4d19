/**
 * Writes for the developer: `write` names the write with the installation's source and its next seq, keeps it
 * in the outbox, and sends it until Tally acknowledges it, with the same (source, seq) on every attempt, in
 * this page or after a reload. Writes due together travel in one request to their batch route where there is
 * one. Refusals that sending again cannot fix reject the write with a TallyError.
 */
import { TallyError } from './errors.js';
import { exchange, platformFetch, type Exchange } from './http.js';
import { Outbox, type PendingWrite } from './outbox.js';
import { planRequests, type Request } from './plan.js';
import { DEFAULT_BACKOFF, nextDelay, retryAfterMs, type Backoff } from './retry.js';
import { SeqAllocator, loadSource } from './seq.js';
import type { KeyValueStore } from './store.js';

export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
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
  /** Unacknowledged writes kept at most; past it `write` refuses (OutboxFullError) rather than drop one. */
  outboxCapacity?: number;
  /** Requests in flight at once (a browser allows 6 per origin over HTTP/1.1; leave room for reads). */
  concurrency?: number;
  /** Send writes due together in one request to their batch route (default true). */
  batching?: boolean;
  /** A write the outbox kept from an earlier page was refused, and no caller is left to tell. */
  onRefused?: (write: PendingWrite, error: TallyError) => void;
  /** Every attempt's outcome, for metrics and load runs. */
  onAttempt?: (attempt: Attempt) => void;
}

export interface Attempt {
  writes: number;
  /** The HTTP status, or 0 when no answer came (the network). */
  status: number;
  retrying: boolean;
}

export interface Acknowledged {
  id: string;
  /** 202 (queued), 200 (an outcome, `?wait=true`), or 0 when a newer write of the same slot replaced it. */
  status: number;
  body: Record<string, unknown>;
}

/** What a write is, before the SDK names it. */
export interface WriteRequest {
  method?: 'POST' | 'PUT';
  /** The single route, with its query (`?wait=true`). */
  path: string;
  body: Record<string, unknown>;
  /** The batch route this write may travel in, and what it is there (the body with what the path names). */
  batch?: { url: string; item: Record<string, unknown> };
  /** A newer write of the same slot replaces this one while it is unsent (a viewer's heartbeats). */
  slot?: string;
}

/** Under this many bytes per request while the page is closing: the browser's keepalive budget is 64 KiB. */
const KEEPALIVE_BYTES = 60_000;
const BATCH_BYTES = 900_000;

export class TallyClient {
  readonly #outbox: Outbox;
  readonly #seqs: SeqAllocator;
  readonly #waiting = new Map<string, { resolve: (ack: Acknowledged) => void; reject: (e: unknown) => void }>();
  readonly #sending = new Set<string>();
  #source: Promise<string> | undefined;
  #timer: unknown;
  #active = 0;
  #closing = false;
  readonly #clock: Clock;
  readonly #send: typeof fetch;

  constructor(readonly options: ClientOptions) {
    this.#outbox = new Outbox(options.store, options.outboxCapacity);
    this.#seqs = new SeqAllocator(options.store);
    this.#clock = options.clock ?? systemClock;
    this.#send = options.fetch ?? platformFetch;
  }

  /** The writes left by an earlier page or process are sent again, under their own names. */
  async start(): Promise<void> {
    await this.#outbox.load();
    this.#wake(0);
  }

  /** This installation's source: made once per store and kept. */
  sourceId(): Promise<string> {
    return (this.#source ??= loadSource(this.options.store, this.options.sourcePrefix));
  }

  /** Names the write, keeps it, and resolves once Tally acknowledged it (or rejects with what refused it). */
  async write(request: WriteRequest): Promise<Acknowledged> {
    // no slow step before the write is kept and, on a closing page, sent: these resolve at once once warm
    const [source, seq] = await Promise.all([this.sourceId(), this.#seqs.allocate(), this.#outbox.load()]);
    const id = `${source}:${seq}`;
    const key = { source, seq };
    const pending: PendingWrite = {
      id,
      method: request.method ?? 'POST',
      path: request.path,
      body: { ...request.body, ...key },
      ...(request.batch ? { batch: { url: request.batch.url, item: { ...request.batch.item, ...key } } } : {}),
      ...(request.slot ? { slot: request.slot } : {}),
      attempts: 0,
      notBefore: 0,
    };
    const replaced = this.#outbox.keep(pending, (old) => !this.#sending.has(old.id));
    const acknowledged = new Promise<Acknowledged>((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    for (const old of replaced) this.#resolve(old.id, { id: old.id, status: 0, body: { replacedBy: id } });
    if (this.#closing) void this.flush(true);
    else this.#wake(0);
    // a store that refuses (full, or a private window's) costs the write its survival across a reload, not the
    // write: it is sent and answered all the same, and failing here would invite the app to write it again
    await this.#outbox.persist(pending, replaced).catch(() => undefined);
    return acknowledged;
  }

  /** Writes not yet acknowledged: this page's, and once start() has resolved, those earlier pages left. */
  get pending(): number {
    return this.#outbox.size;
  }

  /**
   * Sends what is due now (everything with `everything`, backoff or not: the network just came back, or the page
   * is closing), as few requests as batching allows, at most `concurrency` at once; resolves when they are
   * answered.
   */
  async flush(everything = false): Promise<void> {
    // a closing page sends everything now, however many requests are in flight: there is no later
    const slots = this.#closing ? Infinity : (this.options.concurrency ?? 4) - this.#active;
    // no slot free: the request that frees one looks again when it ends
    if (slots <= 0) return;
    const due = this.#outbox.due(everything ? Infinity : this.#clock.now()).filter((w) => !this.#sending.has(w.id));
    const limit = this.#closing ? KEEPALIVE_BYTES : BATCH_BYTES;
    const requests = planRequests(due, { batching: this.options.batching ?? true, maxBytes: limit });
    for (const request of requests) for (const write of request.writes) this.#sending.add(write.id);
    const queue = [...requests];
    const worker = async () => {
      for (let request = queue.shift(); request; request = queue.shift()) {
        try {
          await this.#attempt(request);
        } finally {
          for (const write of request.writes) this.#sending.delete(write.id);
        }
      }
    };
    const workers = Math.min(slots, queue.length);
    this.#active += workers;
    await Promise.all(Array.from({ length: workers }, () => worker().finally(() => this.#active--)));
    this.#scheduleNext();
  }

  /** The page is going away: send everything now, in requests the browser finishes after the page is gone. */
  closeSoon(): Promise<void> {
    this.#closing = true;
    return this.flush(true);
  }

  /** The page is back (or never left): requests are ordinary again. */
  resume(): void {
    this.#closing = false;
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #scheduleNext(): void {
    const next = this.#outbox.nextDue(this.#sending);
    if (next !== undefined) this.#wake(Math.max(0, next - this.#clock.now()));
  }

  #wake(ms: number): void {
    this.stop();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, ms);
  }

  async #attempt(request: Request): Promise<void> {
    let answer: Exchange;
    try {
      const url = new URL(request.path, this.options.baseUrl);
      // keepalive only while closing: the browser's keepalive budget is small and shared by the whole page
      answer = await exchange(this.#send, url, request.method, this.options.apiKey, request.body, this.#closing);
    } catch {
      this.options.onAttempt?.({ writes: request.writes.length, status: 0, retrying: true });
      for (const write of request.writes) this.#retryLater(write, undefined);
      return;
    }
    const { status, body, error } = answer;
    if (!error && request.batched) return this.#settleBatch(request, status, body);
    this.options.onAttempt?.({ writes: request.writes.length, status, retrying: !!error?.retriable });
    const retryAfter = retryAfterMs(error?.retryAfter, this.#clock.now());
    if (error?.retriable) for (const write of request.writes) this.#retryLater(write, retryAfter);
    else
      await Promise.all(
        request.writes.map((write) => this.#settle(write, error ?? { id: write.id, status, body: asRecord(body) })),
      );
  }

  /** A batch answers 200 with a result per item, in order: 202 with the item's answer, or 400 with its error. */
  async #settleBatch(request: Request, status: number, body: unknown): Promise<void> {
    const results = (body as { results?: unknown[] } | undefined)?.results ?? [];
    this.options.onAttempt?.({ writes: request.writes.length, status, retrying: false });
    // the items settle together: one store delete each, none waiting for the one before
    await Promise.all(
      request.writes.map((write, index) => {
        const { index: _index, status: itemStatus, ...answer } = asRecord(results[index]);
        if (typeof itemStatus !== 'number') return this.#retryLater(write, undefined);
        return this.#settle(
          write,
          itemStatus < 300 ? { id: write.id, status: itemStatus, body: answer } : new TallyError(itemStatus, answer),
        );
      }),
    );
  }

  #retryLater(write: PendingWrite, retryAfter: number | undefined): void {
    const delay = nextDelay(write.attempts, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random, retryAfter);
    this.#outbox.reschedule(write.id, this.#clock.now() + delay);
  }

  async #settle(write: PendingWrite, outcome: Acknowledged | TallyError): Promise<void> {
    await this.#outbox.settle(write.id);
    if (!(outcome instanceof TallyError)) return this.#resolve(write.id, outcome);
    const waiter = this.#waiting.get(write.id);
    this.#waiting.delete(write.id);
    if (waiter) waiter.reject(outcome);
    else this.options.onRefused?.(write, outcome);
  }

  #resolve(id: string, ack: Acknowledged): void {
    this.#waiting.get(id)?.resolve(ack);
    this.#waiting.delete(id);
  }
}

const asRecord = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
