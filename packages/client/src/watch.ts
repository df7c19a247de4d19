/**
 * A viewer of a live stream, as the product counts one: a session is a current viewer while its newest
 * heartbeat is within the stream's window (30 s) of the server's clock, and `ended` removes it at once.
 *
 * The rule the SDK keeps for the app: heartbeat every 5 s while the player plays; stop when it pauses; send
 * `ended` when it stops or the page goes away. A hidden tab is not watching (`whileHidden: 'pause'`, the
 * default): its heartbeats pause, so it drops out after the window unless it comes back, and coming back
 * heartbeats at once. With `'continue'` (audio that plays on in the background) heartbeats go on, but browsers
 * throttle hidden tabs' timers (Chrome to once a minute after 5 minutes), so a long-hidden tab may still drop.
 *
 * Heartbeats share a slot per session: while offline only the newest waits to be sent, not one per 5 s.
 */
import { randomHex } from './seq.js';
import type { WriteBody } from './types.js';
import { currentPage, type PageEvents } from './page.js';

/** What a watch needs of a Tally: to send heartbeats, and to send at once when the page is going away. */
export interface Heartbeats {
  streams: {
    heartbeat(streamId: string, body: WriteBody<'/v1/streams/{streamId}/heartbeats'>, slot?: string): Promise<unknown>;
  };
  client: { closeSoon(): Promise<void> };
}

export interface WatchOptions {
  /** The playback session (default: a new random id). */
  sessionId?: string;
  userId?: string;
  /** The player's position in ms (default: ms played in this watch). */
  position?: () => number;
  /** Heartbeat interval, ms (default 5000: the product's rhythm; the window is 30 s). */
  everyMs?: number;
  whileHidden?: 'pause' | 'continue';
  /** Start playing at once (default true). */
  playing?: boolean;
  /** A heartbeat was refused (bad input, a key without viewers:write): the watch goes on. */
  onError?: (error: unknown) => void;
  page?: PageEvents;
}

export class Watch {
  readonly sessionId: string;
  #playing = false;
  #ended = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  #playedMs = 0;
  #since = 0;
  readonly #detach: () => void;

  readonly #tally: Heartbeats;
  readonly #options: WatchOptions;

  constructor(
    tally: Heartbeats,
    readonly streamId: string,
    options: WatchOptions = {},
  ) {
    this.#tally = tally;
    this.#options = options;
    this.sessionId = options.sessionId ?? `s-${randomHex(12)}`;
    this.#detach = this.#listen(options.page ?? currentPage());
    if (options.playing ?? true) this.play();
  }

  /** The player plays: a heartbeat now, then every 5 s. */
  play(): void {
    if (this.#ended || this.#playing) return;
    this.#playing = true;
    this.#since = Date.now();
    this.#tick();
  }

  /** The player pauses: heartbeats stop (the session drops out after the window unless it plays again). */
  pause(): void {
    if (!this.#playing) return;
    this.#playedMs = this.#positionMs();
    this.#playing = false;
    this.#suspend();
  }

  /** The viewer leaves: `ended` goes out now (and on a closing page, in a request that outlives it). */
  stop(): Promise<unknown> {
    if (this.#ended) return Promise.resolve();
    this.pause();
    this.#ended = true;
    this.#detach();
    return this.#beat('ended');
  }

  get isPlaying(): boolean {
    return this.#playing;
  }

  #tick(): void {
    this.#suspend();
    void this.#beat('playing');
    this.#timer = setInterval(() => void this.#beat('playing'), this.#options.everyMs ?? 5000);
  }

  #suspend(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #positionMs(): number {
    return this.#options.position?.() ?? this.#playedMs + (this.#playing ? Date.now() - this.#since : 0);
  }

  #beat(state: 'playing' | 'ended'): Promise<unknown> {
    const body = {
      sessionId: this.sessionId,
      positionMs: Math.max(0, Math.floor(this.#positionMs())),
      at: Date.now(),
      state,
      ...(this.#options.userId ? { userId: this.#options.userId } : {}),
    };
    return this.#tally.streams
      .heartbeat(this.streamId, body, `heartbeat:${this.streamId}:${this.sessionId}`)
      .catch((error: unknown) => this.#options.onError?.(error));
  }

  #listen(page: PageEvents | undefined): () => void {
    if (!page) return () => undefined;
    const visibility = () => {
      if (this.#options.whileHidden === 'continue' || !this.#playing) return;
      if (page.document?.visibilityState === 'hidden') this.#suspend();
      else this.#tick();
    };
    // closing first: the page's own listener may run after this one, and `ended` must leave in a keepalive request
    const gone = () => {
      void this.#tally.client.closeSoon();
      void this.stop();
    };
    page.addEventListener('visibilitychange', visibility);
    page.addEventListener('pagehide', gone);
    return () => {
      page.removeEventListener('visibilitychange', visibility);
      page.removeEventListener('pagehide', gone);
    };
  }
}
