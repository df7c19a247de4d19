/**
 * The console's event stream against the real broker and registry: records on the change topics reach an open
 * stream as views; a bad query is refused like any read; closing the gateway ends open streams instead of
 * waiting for them. (The page itself is tested in a real browser: tests/console/console.test.ts.)
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createSchemaRegistry, topicCodec } from '@tally/schemas';
import { TypedProducer } from '@tally/streaming';
import { createTopicsWithSchemas, testKafka, uniqueName } from '@tally/testkit';
import type { ConsoleView } from '../src/domain/console-view.js';
import { bearer, call, expectProblem, gatewayForThisFile, keys, startTestGateway } from './fixtures/gateway.js';

const stack = inject('stack');
const run = uniqueName('test.gateway.console');
const topics = { counts: `${run}.viewer-counts`, results: `${run}.results`, queueEvents: `${run}.queue-events` };

beforeAll(async () => {
  await createTopicsWithSchemas(stack, [
    { name: topics.counts, partitions: 2, schema: 'tally.viewers.ViewerCountChanged' },
    { name: topics.results, partitions: 1, schema: 'tally.votes.GlobalResult' },
    { name: topics.queueEvents, partitions: 2, schema: 'tally.queue.QueueEvent' },
  ]);
});

const world = gatewayForThisFile('console', {
  VIEWER_COUNTS_TOPIC: topics.counts,
  VOTE_RESULTS_TOPIC: topics.results,
  QUEUE_EVENTS_TOPIC: topics.queueEvents,
  CONSOLE_LAG_GROUPS: `${run}.nobody`,
});

/** An open /console/events stream: the views it has sent, and a way to wait for one. */
async function openStream(base: string, query: string) {
  const aborted = new AbortController();
  const response = await fetch(`${base}/console/events?${query}`, {
    signal: aborted.signal,
    headers: bearer(keys.operator),
  });
  const views: ConsoleView[] = [];
  let buffer = '';
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').find((line) => line.startsWith('data: '));
        if (event.includes('event: state') && data) views.push(JSON.parse(data.slice(6)) as ConsoleView);
      }
    }
  })().catch(() => undefined);
  const viewWhere = async (test: (view: ConsoleView) => boolean) => {
    await expect.poll(() => views.some(test), { timeout: 20_000 }).toBe(true);
    return views.findLast(test)!;
  };
  return { response, viewWhere, ended: reading, close: () => aborted.abort() };
}

describe('the console event stream', () => {
  it('serves the page at /console/ and sends a view at once', async () => {
    const redirect = await fetch(`${world().base}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('/console/');
    const page = await call(world().base, 'GET', '/console/');
    expect(page.status, 'the page is built by ./scripts/install.sh (pnpm build:console)').toBe(200);
    expect(String(page.body)).toContain('<div id="app">');

    const stream = await openStream(world().base, 'queue=q1&poll=p1&wallet=u1');
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const first = await stream.viewWhere(() => true);
    expect(first).toMatchObject({
      ranking: { metric: 'likes', window: '1h' },
      queue: { queueId: 'q1' },
      poll: { pollId: 'p1', version: 0 },
      wallet: { userId: 'u1', outcomes: 0 },
    });
    expect(first.lag).toEqual([{ group: `${run}.nobody`, lag: 0, partitions: [] }]);
    stream.close();
  });

  it('sends what the change topics say: viewer counts, poll results and queue admissions', async () => {
    const stream = await openStream(world().base, `queue=concert&poll=anthem&streams=stage`);
    // read from now on: wait until the gateway reads the queue events before producing one
    await world().gateway.consoleListening();
    const registry = createSchemaRegistry(stack.registryUrl);
    const producer = new TypedProducer(testKafka(stack.brokers));
    await producer.connect();
    const now = Date.now();
    try {
      await producer.send(topicCodec(registry, topics.counts, 'tally.viewers.ViewerCountChanged'), {
        key: 'stage',
        value: { streamId: 'stage', concurrent: 7, previous: 6, windowSeconds: 30, asOfMs: now },
      });
      await producer.send(topicCodec(registry, topics.results, 'tally.votes.GlobalResult'), {
        key: 'anthem',
        value: {
          pollId: 'anthem',
          version: 3,
          ranking: [{ optionId: 'north', score: 1, rank: 1 }],
          regions: { kr: { weight: 1, votes: 2, counts: { north: 2 }, snapshotVersion: 2, snapshotAtMs: now } },
          computedAtMs: now,
        },
      });
      await producer.send(topicCodec(registry, topics.queueEvents, 'tally.queue.QueueEvent'), {
        key: 'concert',
        value: {
          queueId: 'concert',
          ticketId: 't1',
          userId: 'fan',
          kind: 'ADMITTED',
          atMs: now,
          expiresAtMs: now + 60_000,
        },
      });
    } finally {
      await producer.disconnect();
    }
    const view = await stream.viewWhere(
      (v) => v.viewers.streams.length > 0 && v.poll?.version === 3 && v.queue?.admissionsPerMinute === 1,
    );
    expect(view.viewers.streams).toEqual([{ streamId: 'stage', concurrent: 7, asOf: now }]);
    expect(view.viewers.series.map((s) => s.streamId)).toEqual(['stage']);
    expect(view.poll).toEqual({
      pollId: 'anthem',
      version: 3,
      global: [{ optionId: 'north', score: 1, rank: 1 }],
      regions: [{ region: 'kr', weight: 1, votes: 2, counts: { north: 2 }, snapshotAtMs: now }],
    });
    expect(view.known).toEqual({ queues: ['concert'], polls: ['anthem'] });
    // the queue admitter is not running here: the figures say why they are missing
    expect(view.queue?.error).toMatch(/queue-admitter cannot be reached/);
    stream.close();
  });

  it('refuses a bad query with 400 and says what is wrong', async () => {
    for (const query of [
      'window=2h',
      'streams=a,,b',
      `streams=${Array.from({ length: 11 }, (_, i) => `s${i}`).join(',')}`,
      'queue=no%20spaces',
      'metric=Likes',
      'color=blue',
    ]) {
      const answer = await call(world().base, 'GET', `/console/events?${query}`, { headers: bearer(keys.operator) });
      expectProblem(answer, 400, 'invalid_request');
    }
  });

  it('ends open streams when the gateway closes, instead of waiting for them', async () => {
    const gateway = await startTestGateway(stack, 'console-closing', { CONSOLE_LAG_GROUPS: `${run}.nobody` });
    const stream = await openStream(gateway.base, '');
    await stream.viewWhere(() => true);
    const started = Date.now();
    await gateway.close();
    await stream.ended;
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
