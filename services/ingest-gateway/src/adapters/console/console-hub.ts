import type { Logger } from '@tally/observability';
import type { GlobalResult, QueueEvent, ViewerCountChanged } from '@tally/schemas';
import {
  SAMPLE_EVERY_MS,
  consoleView,
  emptyConsoleState,
  rankingKey,
  recordPollResult,
  recordQueueEvent,
  recordSideRecord,
  recordViewerCount,
  recordWalletOutcome,
  sampleViewers,
  type ConsoleSubscription,
  type GroupLag,
  type PolledReads,
  type QueueFigures,
  type RankedItem,
  type SideReport,
  type SideTopic,
} from '../../domain/console-view.js';
import { readOwnerJson, type ReadOwner } from '../http/read-routing.js';

export interface ConsoleHubOptions {
  counterMaterializer: ReadOwner;
  queueAdmitter: ReadOwner;
  /** Consumer lag of the services' groups (Kafka admin). */
  readLag: () => Promise<GroupLag[]>;
  logger: Logger;
  now?: () => number;
  /** How often pages are sent what changed. */
  pushEveryMs?: number;
  /** How often rankings and queue figures are read from their owners while a page shows them. */
  readEveryMs?: number;
  lagEveryMs?: number;
}

interface ConsolePage {
  asked: ConsoleSubscription;
  send: (json: string) => void;
  /** The last view sent, without its time: unchanged views are not sent again (but at least every KEEPALIVE_MS). */
  lastView?: string;
  /** Set once its first reads are done: until then it would be sent a view without its ranking and lag. */
  primed: boolean;
  lastSentAt: number;
}

/** A page hears from the console at least this often, so proxies and the page know the stream is alive. */
const KEEPALIVE_MS = 5000;

/**
 * Keeps the console's state from the change topics, reads what has no change topic (rankings, queue figures,
 * lag) from its owners while some page shows it, and sends each open page its view when it changes.
 */
export class ConsoleHub {
  private readonly state = emptyConsoleState();
  private readonly polled: PolledReads = { rankings: new Map(), queues: new Map(), lag: [] };
  private readonly pages = new Set<ConsolePage>();
  /** The users whose wallets open pages show: kept as pages come and go, not worked out per outcome. */
  private watchedWallets = new Set<string>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly log: Logger;
  private reading = false;

  constructor(private readonly options: ConsoleHubOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.logger.child({ component: 'console' });
  }

  /** Starts sampling viewers (always: a page that opens sees the last minutes) and serving pages. */
  start(): void {
    this.timers.push(
      setInterval(() => sampleViewers(this.state, this.now()), SAMPLE_EVERY_MS),
      setInterval(() => this.push(), this.options.pushEveryMs ?? 500),
      setInterval(() => void this.readOwners(), this.options.readEveryMs ?? 1000),
      setInterval(() => void this.readLag(), this.options.lagEveryMs ?? 5000),
    );
    // the console never keeps a gateway process alive on its own
    for (const timer of this.timers) timer.unref();
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.pages.clear();
  }

  viewerCountChanged(change: ViewerCountChanged): void {
    recordViewerCount(this.state, change);
  }

  queueEvent(event: QueueEvent): void {
    recordQueueEvent(this.state, event, this.now());
  }

  pollResult(result: GlobalResult): void {
    recordPollResult(this.state, result);
  }

  walletOutcomeFor(userId: string): void {
    recordWalletOutcome(this.state, userId, this.watchedWallets);
  }

  /** A record of the dead-letter or late topic: counted for its group beside the group's lag. */
  sideRecord(side: SideTopic, report: SideReport): void {
    recordSideRecord(this.state, side, report);
  }

  /** A page opened its event stream: it is sent its view now and whenever it changes. Returns how to detach it. */
  attach(asked: ConsoleSubscription, send: (json: string) => void): () => void {
    const page: ConsolePage = { asked, send, lastSentAt: 0, primed: false };
    this.pages.add(page);
    this.watchWallets();
    void Promise.all([this.readOwners(), this.readLag()]).then(() => {
      page.primed = true;
      this.pushTo(page);
    });
    return () => {
      this.pages.delete(page);
      this.watchWallets();
    };
  }

  private watchWallets(): void {
    this.watchedWallets = new Set([...this.pages].flatMap((p) => (p.asked.wallet ? [p.asked.wallet] : [])));
  }

  private push(): void {
    for (const page of this.pages) if (page.primed) this.pushTo(page);
  }

  private pushTo(page: ConsolePage): void {
    if (!this.pages.has(page)) return;
    const now = this.now();
    const { at, ...rest } = consoleView(this.state, this.polled, page.asked, now);
    const view = JSON.stringify(rest);
    if (view === page.lastView && now - page.lastSentAt < KEEPALIVE_MS) return;
    page.lastView = view;
    page.lastSentAt = now;
    page.send(JSON.stringify({ at, ...rest }));
  }

  /** Rankings and queue figures the open pages show, read from their owners (one read each, however many pages). */
  private async readOwners(): Promise<void> {
    if (this.reading || this.pages.size === 0) return;
    this.reading = true;
    try {
      const rankings = new Map([...this.pages].map(({ asked }) => [rankingKey(asked.metric, asked.window), asked]));
      const queues = new Set([...this.pages].flatMap(({ asked }) => (asked.queue ? [asked.queue] : [])));
      await Promise.all([
        ...[...rankings].map(async ([key, { metric, window }]) => {
          const path = `/v1/rankings/${encodeURIComponent(metric)}?${new URLSearchParams({ window, limit: '10' })}`;
          this.polled.rankings.set(key, await this.read<RankedItem[]>(this.options.counterMaterializer, path));
        }),
        ...[...queues].map(async (queueId) => {
          this.polled.queues.set(
            queueId,
            await this.read<QueueFigures>(this.options.queueAdmitter, `/v1/queues/${encodeURIComponent(queueId)}`),
          );
        }),
      ]);
    } finally {
      this.reading = false;
    }
  }

  private async read<T>(owner: ReadOwner, path: string): Promise<T | { error: string }> {
    try {
      const { status, body } = await readOwnerJson(owner, path);
      if (status === 200) return body as T;
      const message = (body as { message?: unknown }).message;
      return { error: typeof message === 'string' ? message : `${owner.name} answered HTTP ${status}` };
    } catch (error) {
      return { error: `${owner.name} cannot be reached right now (${(error as Error).message})` };
    }
  }

  /** Only while a page is open: each read asks Kafka for every group's offsets. */
  private async readLag(): Promise<void> {
    if (this.pages.size === 0) return;
    try {
      this.polled.lag = await this.options.readLag();
    } catch (error) {
      this.log.warn({ err: error }, 'could not read consumer lag for the console');
    }
  }
}
