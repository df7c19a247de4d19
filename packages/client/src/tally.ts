/**
 * Tally for app developers: a typed call for every public route. Writes are named, kept and retried by the
 * TallyClient underneath (so the app never handles source or seq); reads and the admin's settings are plain
 * requests, answered or refused with a TallyError carrying the API's code.
 */
import { TallyClient, type ClientOptions, type WriteRequest } from './client.js';
import { exchange, platformFetch } from './http.js';
import { followTicket, type FollowOptions, type Ticket, type TicketView } from './queue.js';
import { DEFAULT_BACKOFF, nextDelay, retryAfterMs } from './retry.js';
import type { Answer, Outcome, Query, Queued, RequestBody, WriteBody } from './types.js';
import { Watch, type WatchOptions } from './watch.js';
import { e, writes } from './writes.js';

/** `?wait=true`: the ledger's outcome (200), or 202 `pending` when it has not decided by the write deadline. */
interface Wait {
  wait?: boolean;
}

export class Tally {
  readonly client: TallyClient;

  constructor(readonly options: ClientOptions) {
    this.client = new TallyClient(options);
  }

  /** Sends what earlier pages or runs left unacknowledged; call once when the app starts. */
  start(): Promise<void> {
    return this.client.start();
  }

  /** Names a write of route `path`, keeps it until acknowledged; resolves with what the route answered. */
  async write<A>(request: WriteRequest): Promise<A> {
    return (await this.client.write(request)).body as A;
  }

  /** A read, or a call without a (source, seq) (settings, leaving a queue): answered, or a TallyError. */
  async request<A>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    init: { query?: object; body?: unknown; key?: string; attempts?: number } = {},
  ): Promise<A> {
    const url = new URL(path, this.options.baseUrl);
    for (const [name, value] of Object.entries(init.query ?? {}))
      if (value !== undefined) url.searchParams.set(name, String(value));
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    for (let attempt = 0; ; attempt++) {
      const answer = await exchange(
        this.options.fetch ?? platformFetch,
        url,
        method,
        init.key ?? this.options.apiKey,
        body,
      );
      const { error } = answer;
      if (!error) return answer.body as A;
      if (!error.retriable || attempt + 1 >= (init.attempts ?? 1)) throw error;
      const retryAfter = retryAfterMs(error.retryAfter, Date.now());
      await new Promise((resolve) => setTimeout(resolve, nextDelay(attempt, DEFAULT_BACKOFF, Math.random, retryAfter)));
    }
  }

  /** A viewer: heartbeats every 5 s while playing, `ended` when it stops or the page closes. */
  watch(streamId: string, options: WatchOptions = {}): Watch {
    return new Watch(this, streamId, options);
  }

  readonly streams = {
    heartbeat: (streamId: string, body: WriteBody<'/v1/streams/{streamId}/heartbeats'>, slot?: string) =>
      this.write<Queued<'/v1/streams/{streamId}/heartbeats'>>(writes.heartbeat(streamId, body, slot)),
    viewers: (streamId: string) =>
      this.get<Answer<'/v1/streams/{streamId}/viewers'>>(`/v1/streams/${e(streamId)}/viewers`),
    history: (streamId: string, query: Query<'/v1/streams/{streamId}/viewers/history'>) =>
      this.get<Answer<'/v1/streams/{streamId}/viewers/history'>>(`/v1/streams/${e(streamId)}/viewers/history`, query),
  };

  readonly items = {
    like: (itemId: string, body: WriteBody<'/v1/items/{itemId}/likes'>) =>
      this.write<Queued<'/v1/items/{itemId}/likes'>>(writes.like(itemId, body)),
    view: (itemId: string, body: WriteBody<'/v1/items/{itemId}/views'> = {}) =>
      this.write<Queued<'/v1/items/{itemId}/views'>>(writes.view(itemId, body)),
    increment: (itemId: string, name: string, body: WriteBody<'/v1/items/{itemId}/counters/{name}'> = {}) =>
      this.write<Queued<'/v1/items/{itemId}/counters/{name}'>>(writes.increment(itemId, name, body)),
    counts: (itemId: string) => this.get<Answer<'/v1/items/{itemId}/counts'>>(`/v1/items/${e(itemId)}/counts`),
    ranking: (metric: string, query: Query<'/v1/rankings/{metric}'> = {}) =>
      this.get<Answer<'/v1/rankings/{metric}'>>(`/v1/rankings/${e(metric)}`, query),
  };

  readonly wallets = {
    transaction: (userId: string, body: WriteBody<'/v1/wallets/{userId}/transactions'>, { wait }: Wait = {}) =>
      this.write<Outcome<'/v1/wallets/{userId}/transactions'>>(writes.transaction(userId, body, wait)),
    grant: (body: WriteBody<'/v1/wallets/grants'>) => this.write<Queued<'/v1/wallets/grants'>>(writes.grant(body)),
    transfer: (body: WriteBody<'/v1/transfers'>, { wait }: Wait = {}) =>
      this.write<Outcome<'/v1/transfers'>>(writes.transfer(body, wait)),
    group: (body: WriteBody<'/v1/wallets/groups'>, { wait }: Wait = {}) =>
      this.write<Outcome<'/v1/wallets/groups'>>(writes.group(body, wait)),
    hold: (userId: string, body: WriteBody<'/v1/wallets/{userId}/holds'>, { wait }: Wait = {}) =>
      this.write<Outcome<'/v1/wallets/{userId}/holds'>>(writes.hold(userId, body, wait)),
    capture: (
      userId: string,
      holdId: string,
      body: WriteBody<'/v1/wallets/{userId}/holds/{holdId}/capture'> = {},
      { wait }: Wait = {},
    ) => this.write<Outcome<'/v1/wallets/{userId}/holds/{holdId}/capture'>>(writes.capture(userId, holdId, body, wait)),
    release: (
      userId: string,
      holdId: string,
      body: WriteBody<'/v1/wallets/{userId}/holds/{holdId}/release'> = {},
      { wait }: Wait = {},
    ) => this.write<Outcome<'/v1/wallets/{userId}/holds/{holdId}/release'>>(writes.release(userId, holdId, body, wait)),
    balances: (userId: string) => this.get<Answer<'/v1/wallets/{userId}'>>(`/v1/wallets/${e(userId)}`),
    history: (userId: string, query: Query<'/v1/wallets/{userId}/transactions'> = {}) =>
      this.get<Answer<'/v1/wallets/{userId}/transactions'>>(`/v1/wallets/${e(userId)}/transactions`, query),
    transactionOf: (userId: string, id: string) =>
      this.get<Answer<'/v1/wallets/{userId}/transactions/{id}'>>(`/v1/wallets/${e(userId)}/transactions/${e(id)}`),
    holdOf: (userId: string, holdId: string) =>
      this.get<Answer<'/v1/wallets/{userId}/holds/{holdId}'>>(`/v1/wallets/${e(userId)}/holds/${e(holdId)}`),
  };

  readonly queues = {
    /** Admin: a queue's settings (PUT: sending it again sets the same). */
    configure: (queueId: string, body: RequestBody<'/v1/queues/{queueId}', 'put'>) =>
      this.request<Answer<'/v1/queues/{queueId}', 'put', 202>>('PUT', `/v1/queues/${e(queueId)}`, {
        body,
        attempts: 5,
      }),
    /** Joins: the same ticket however often the join is retried; its secret reads it. */
    join: async (queueId: string, body: WriteBody<'/v1/queues/{queueId}/tickets'>): Promise<Ticket> => {
      const answer = await this.write<Queued<'/v1/queues/{queueId}/tickets'>>(writes.join(queueId, body));
      return { queueId, ticketId: answer.ticketId, ticketSecret: answer.ticketSecret };
    },
    /** Where the ticket stands (404 not_found until the admitter has read the join). */
    ticket: (ticket: Ticket) =>
      this.request<TicketView>('GET', `/v1/queues/${e(ticket.queueId)}/tickets/${e(ticket.ticketId)}`, {
        key: ticket.ticketSecret,
      }),
    /** Polls the ticket as often as the server says, until it is active or has ended. */
    follow: (ticket: Ticket, options: FollowOptions = {}) => followTicket(() => this.queues.ticket(ticket), options),
    leave: (ticket: Ticket) =>
      this.request<Answer<'/v1/queues/{queueId}/tickets/{ticketId}', 'delete', 202>>(
        'DELETE',
        `/v1/queues/${e(ticket.queueId)}/tickets/${e(ticket.ticketId)}`,
        { attempts: 5 },
      ),
    complete: (ticket: Ticket) =>
      this.request<Answer<'/v1/queues/{queueId}/tickets/{ticketId}/complete', 'post', 202>>(
        'POST',
        `/v1/queues/${e(ticket.queueId)}/tickets/${e(ticket.ticketId)}/complete`,
        { attempts: 5 },
      ),
    verify: (queueId: string, token: string) =>
      this.request<Answer<'/v1/queues/{queueId}/admissions/verify', 'post'>>(
        'POST',
        `/v1/queues/${e(queueId)}/admissions/verify`,
        { body: { token } },
      ),
    figures: (queueId: string) => this.get<Answer<'/v1/queues/{queueId}'>>(`/v1/queues/${e(queueId)}`),
  };

  readonly polls = {
    /** Admin: a poll's options and regions. */
    configure: (pollId: string, body: RequestBody<'/v1/polls/{pollId}', 'put'>) =>
      this.request<Answer<'/v1/polls/{pollId}', 'put', 202>>('PUT', `/v1/polls/${e(pollId)}`, { body, attempts: 5 }),
    vote: (pollId: string, body: WriteBody<'/v1/polls/{pollId}/votes'>) =>
      this.write<Queued<'/v1/polls/{pollId}/votes'>>(writes.vote(pollId, body)),
    results: (pollId: string) => this.get<Answer<'/v1/polls/{pollId}/results'>>(`/v1/polls/${e(pollId)}/results`),
  };

  private get<A>(path: string, query?: object): Promise<A> {
    return this.request<A>('GET', path, { query: query ?? {} });
  }
}
