/** A request waiting for the outcome of the command it produced. */
export interface ExpectedOutcome<T> {
  /**
   * The outcome, or undefined when none came before `deadline` aborts (the request's write deadline) or the
   * gateway is shutting down. The wait ends either way, and so does the registration: a late outcome then finds
   * nobody and is dropped.
   */
  until(deadline: AbortSignal): Promise<T | undefined>;
  /** Stops waiting at once: the command was never acknowledged, so no outcome will come. */
  cancel(): void;
}

type Settle<T> = (outcome: T | undefined) => void;

/**
 * Hands outcomes read from Kafka (WalletOutcomeFeed) to the requests waiting for them, by (userId, id): a command's id is only
 * unique per user, since a grant's credits share theirs. Several requests may wait for one command (a client
 * retrying while its first request still waits); all of them hear the outcome.
 */
export class OutcomeWaiters<T> {
  private readonly byUser = new Map<string, Map<string, Set<Settle<T>>>>();
  private closed = false;

  /**
   * Registers a waiter. Call it BEFORE producing the command: the outcome may be read before the producer's
   * acknowledgement returns, and an outcome that arrives when nobody is registered is dropped.
   */
  expect(userId: string, id: string): ExpectedOutcome<T> {
    let settle!: Settle<T>;
    const settled = new Promise<T | undefined>((resolve) => (settle = resolve));
    if (this.closed) settle(undefined);
    else this.add(userId, id, settle);
    const cancel = () => this.remove(userId, id, settle);
    return {
      until: async (deadline) => {
        const giveUp = () => settle(undefined);
        if (deadline.aborted) giveUp();
        else deadline.addEventListener('abort', giveUp, { once: true });
        try {
          return await settled;
        } finally {
          deadline.removeEventListener('abort', giveUp);
          cancel();
        }
      },
      cancel: () => {
        cancel();
        settle(undefined);
      },
    };
  }

  /** Whether anyone waits for an outcome of this user: when not, the record need not even be decoded. */
  isWaitingFor(userId: string): boolean {
    return this.byUser.has(userId);
  }

  /** Gives the outcome to everyone waiting for it; returns how many were. Nobody waiting: it is dropped. */
  deliver(userId: string, id: string, outcome: T): number {
    const waiting = this.take(userId, id);
    for (const settle of waiting) settle(outcome);
    return waiting.length;
  }

  /**
   * Shutting down: ends every wait without an outcome, now and from now on, so each request answers "pending" at
   * once instead of holding the shutdown until their write deadline.
   */
  close(): void {
    this.closed = true;
    const waiting = [...this.byUser.values()].flatMap((ids) => [...ids.values()].flatMap((settles) => [...settles]));
    this.byUser.clear();
    for (const settle of waiting) settle(undefined);
  }

  /** Requests waiting right now. */
  get size(): number {
    let size = 0;
    for (const ids of this.byUser.values()) for (const waiting of ids.values()) size += waiting.size;
    return size;
  }

  private add(userId: string, id: string, settle: Settle<T>): void {
    let ids = this.byUser.get(userId);
    if (!ids) this.byUser.set(userId, (ids = new Map()));
    let waiting = ids.get(id);
    if (!waiting) ids.set(id, (waiting = new Set()));
    waiting.add(settle);
  }

  /** Forgets one waiter, and the user's and id's entries once empty, so the maps hold only live waits. */
  private remove(userId: string, id: string, settle: Settle<T>): void {
    const waiting = this.byUser.get(userId)?.get(id);
    if (waiting?.delete(settle) && waiting.size === 0) this.take(userId, id);
  }

  /** Forgets everyone waiting for (userId, id) and returns them. */
  private take(userId: string, id: string): Settle<T>[] {
    const ids = this.byUser.get(userId);
    const waiting = ids?.get(id);
    if (!ids || !waiting) return [];
    ids.delete(id);
    if (ids.size === 0) this.byUser.delete(userId);
    return [...waiting];
  }
}
