import { describe, expect, it } from 'vitest';
import { followTicket, type TicketView } from './queue.js';
import { memoryStore } from './store.js';
import { Tally } from './tally.js';
import { TallyError } from './errors.js';

/** A gateway that answers every request 202 (a batch: 202 per item) and records what it was sent. */
function recordingTally() {
  const sent: { method: string; path: string; body: Record<string, unknown> | undefined; key: string | null }[] = [];
  const fetch = (async (url: URL, init: RequestInit) => {
    const body = init.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined;
    sent.push({
      method: String(init.method),
      path: `${url.pathname}${url.search}`,
      body,
      key: new Headers(init.headers).get('authorization'),
    });
    const items = body?.items as unknown[] | undefined;
    const answer = items
      ? { results: items.map((_, index) => ({ index, status: 202, id: `x:${index}` })) }
      : { id: 'x:1', ticketId: 't_1', ticketSecret: 'ts_1' };
    return new Response(JSON.stringify(answer), { status: items ? 200 : 202 });
  }) as unknown as typeof globalThis.fetch;
  const tally = new Tally({ baseUrl: 'http://tally.test', apiKey: 'app-key', store: memoryStore(), fetch });
  return { tally, sent };
}

describe('typed calls', () => {
  it('sends each write to its route with the body and a (source, seq), the key as a Bearer token', async () => {
    const { tally, sent } = recordingTally();
    await tally.items.like('song 1', { userId: 'u1', liked: true });
    await tally.wallets.transaction('u1', { type: 'credit', asset: 'coins', amount: '1.00' }, { wait: true });
    await tally.polls.vote('best', { region: 'kr', userId: 'u1', optionId: 'a' });
    expect(sent.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /v1/items/song%201/likes',
      'POST /v1/wallets/u1/transactions?wait=true',
      'POST /v1/polls/best/votes',
    ]);
    expect(sent[0]!.body).toMatchObject({
      userId: 'u1',
      liked: true,
      source: expect.any(String),
      seq: expect.any(Number),
    });
    expect(sent.every((request) => request.key === 'Bearer app-key')).toBe(true);
  });

  it('sends writes made together in their batch route, each item naming what the path named', async () => {
    const { tally, sent } = recordingTally();
    await Promise.all([
      tally.items.like('a', { userId: 'u1', liked: true }),
      tally.items.view('b', { userId: 'u1' }),
      tally.items.increment('c', 'bookings', { by: 2 }),
    ]);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.path).toBe('/v1/items/batch');
    expect(sent[0]!.body!.items).toMatchObject([
      { type: 'like', itemId: 'a', userId: 'u1', liked: true },
      { type: 'view', itemId: 'b', userId: 'u1' },
      { type: 'counter', itemId: 'c', name: 'bookings', by: 2 },
    ]);
  });

  it('a wallet write that waits for its outcome never goes in a batch (a batch answers 202s only)', async () => {
    const { tally, sent } = recordingTally();
    await Promise.all([
      tally.wallets.transaction('u1', { type: 'credit', asset: 'coins', amount: '1.00' }, { wait: true }),
      tally.wallets.transaction('u2', { type: 'credit', asset: 'coins', amount: '1.00' }, { wait: true }),
    ]);
    expect(sent.map((request) => request.path)).toEqual([
      '/v1/wallets/u1/transactions?wait=true',
      '/v1/wallets/u2/transactions?wait=true',
    ]);
  });

  it('reads a ticket with its secret, not the app key, and reads open aggregates with their query', async () => {
    const { tally, sent } = recordingTally();
    const ticket = await tally.queues.join('sale', { userId: 'u1' });
    expect(ticket).toEqual({ queueId: 'sale', ticketId: 't_1', ticketSecret: 'ts_1' });
    await tally.queues.ticket(ticket);
    await tally.items.ranking('likes', { window: '1h', limit: 5 });
    expect(sent.slice(1).map((request) => [request.path, request.key])).toEqual([
      ['/v1/queues/sale/tickets/t_1', 'Bearer ts_1'],
      ['/v1/rankings/likes?window=1h&limit=5', 'Bearer app-key'],
    ]);
  });
});

describe('following a ticket', () => {
  const waiting = (pollAfterSeconds: number | null): TicketView =>
    ({ status: 'waiting', position: 3, waitingTotal: 9, estimatedWaitSeconds: 60, pollAfterSeconds }) as TicketView;

  it('asks again as often as the server says, through a 404 and a 503, until the ticket is active', async () => {
    const answers: (TicketView | TallyError)[] = [
      new TallyError(404, { error: 'not_found', message: 'not yet' }),
      waiting(0.01),
      new TallyError(503, { error: 'unavailable', message: 'later' }, '0'),
      waiting(0.01),
      { status: 'active', admissionToken: 'jwt' } as TicketView,
    ];
    const seen: string[] = [];
    const view = await followTicket(
      async () => {
        const answer = answers.shift()!;
        if (answer instanceof TallyError) throw answer;
        return answer;
      },
      { onUpdate: (update) => seen.push(update.status) },
    );
    expect(view).toMatchObject({ status: 'active', admissionToken: 'jwt' });
    expect(seen).toEqual(['waiting', 'waiting', 'active']);
  }, 10_000);

  it('stops at a refusal that asking again cannot fix, and when aborted', async () => {
    const refused = new TallyError(403, { error: 'forbidden', message: 'not yours' });
    await expect(followTicket(async () => Promise.reject(refused))).rejects.toBe(refused);
    const stop = new AbortController();
    const following = followTicket(async () => waiting(30), { signal: stop.signal });
    stop.abort(new Error('left the page'));
    await expect(following).rejects.toThrow('left the page');
  });
});
