import { Serially, isTransient } from '@tally/streaming';

interface Waiting<B> {
  batch: B;
  size: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What the partitions' handlers and maintenance need of group commit. */
export interface GroupCommit<B> {
  /** Resolves when `batch` (of `size` events) is durable. */
  submit(batch: B, size: number): Promise<void>;
  /** Runs `work` between writes, never beside one. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * Group commit that adapts to the load: batches handed in by the partitions being consumed are written
 * together by one `write`, one transaction for all of them, and each `submit` resolves when its batch is
 * durable, so a partition commits its Kafka offsets only then.
 * - Idle (no write running), the first batch waits only `lingerMs` for the other partitions of the same fetch,
 *   so a write is visible within a few milliseconds.
 * - Busy, what arrives while a write runs waits for it and goes in the next write, which starts the moment
 *   this one ends: the slower the writes, the larger the groups, so a backlog is drained in large transactions
 *   and steady load in small ones, without a fixed interval that trades one for the other.
 * - `maxEvents` waiting start a write at once (behind the running one).
 * Writes never overlap; `exclusive` runs other work (rebuilds, windows sliding) between them.
 */
export class Flusher<B> implements GroupCommit<B> {
  private waiting: Waiting<B>[] = [];
  private waitingEvents = 0;
  private timer: NodeJS.Timeout | undefined;
  /** A write is queued and has not yet taken its group. */
  private due = false;
  /** A write is running: what arrives joins the next group, which starts when it ends. */
  private writing = false;
  private readonly serially = new Serially();

  constructor(
    private readonly write: (batches: B[]) => Promise<void>,
    private readonly lingerMs: number,
    private readonly maxEvents: number,
  ) {}

  submit(batch: B, size: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, size, resolve, reject });
      this.waitingEvents += size;
      if (this.waitingEvents >= this.maxEvents) this.flush();
      else if (!this.writing) this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    return this.serially.run(work);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.due) return;
    this.due = true;
    void this.exclusive(async () => {
      this.due = false;
      clearTimeout(this.timer);
      this.timer = undefined;
      const group = this.waiting;
      this.waiting = [];
      this.waitingEvents = 0;
      if (group.length === 0) return;
      this.writing = true;
      try {
        await this.writeGroup(group);
      } finally {
        this.writing = false;
        if (this.waiting.length > 0) this.flush();
      }
    });
  }

  /**
   * All together first. If that fails for a reason other than a transient one, each batch alone, so a batch
   * that cannot be written fails on its own (its partition then isolates the record) and the others go on.
   */
  private async writeGroup(group: Waiting<B>[]): Promise<void> {
    try {
      await this.write(group.map((w) => w.batch));
      for (const w of group) w.resolve();
      return;
    } catch (error) {
      if (group.length === 1 || isTransient(error)) {
        for (const w of group) w.reject(error);
        return;
      }
    }
    for (const w of group) {
      try {
        await this.write([w.batch]);
        w.resolve();
      } catch (error) {
        w.reject(error);
      }
    }
  }
}

/**
 * Several group commits side by side, each for its share of the partitions (`laneOf`), so one lane's
 * transaction runs in Postgres while another lane's batch is decoded and decided here: a single lane leaves a
 * core idle whichever side is working. Lanes never share a partition, so their transactions touch disjoint
 * rows (fences, seq-window scopes, an item's rows); `exclusive` holds every lane.
 */
export class FlushLanes<B> implements GroupCommit<B> {
  constructor(
    private readonly lanes: Flusher<B>[],
    private readonly laneOf: (batch: B) => number,
  ) {
    if (lanes.length === 0) throw new RangeError('at least one lane');
  }

  submit(batch: B, size: number): Promise<void> {
    return this.lanes[this.laneOf(batch) % this.lanes.length]!.submit(batch, size);
  }

  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const holdAll = this.lanes.reduceRight<() => Promise<T>>((inner, lane) => () => lane.exclusive(inner), work);
    return holdAll();
  }
}
