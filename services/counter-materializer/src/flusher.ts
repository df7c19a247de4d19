import { Serially, isTransient } from '@tally/streaming';

interface Waiting<B> {
  batch: B;
  size: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: batches handed in by the partitions being consumed wait up to `intervalMs` (or until
 * `maxEvents` are waiting) and are then written together by one `write`, one transaction for all of them.
 * Each `submit` resolves when its batch is durable, so a partition commits its Kafka offsets only then.
 * Writes never overlap; `exclusive` runs other work (rebuilds, windows sliding) between them. A group is
 * taken when its write starts, not when it was due: what arrives while the previous write runs joins it, so
 * under a backlog each write takes everything that waited for it instead of a queue of 100-ms slices.
 */
export class Flusher<B> {
  private waiting: Waiting<B>[] = [];
  private waitingEvents = 0;
  private timer: NodeJS.Timeout | undefined;
  /** A write is queued and has not yet taken its group. */
  private due = false;
  private readonly serially = new Serially();

  constructor(
    private readonly write: (batches: B[]) => Promise<void>,
    private readonly intervalMs: number,
    private readonly maxEvents: number,
  ) {}

  submit(batch: B, size: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, size, resolve, reject });
      this.waitingEvents += size;
      if (this.waitingEvents >= this.maxEvents) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
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
    void this.exclusive(() => {
      this.due = false;
      clearTimeout(this.timer);
      this.timer = undefined;
      const group = this.waiting;
      this.waiting = [];
      this.waitingEvents = 0;
      return group.length > 0 ? this.writeGroup(group) : Promise.resolve();
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
