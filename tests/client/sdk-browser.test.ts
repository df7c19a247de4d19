/**
 * @tally/client in a real browser (Debian's chromium, driven by playwright-core) against all of Tally running as
 * processes on the real Kafka, registry, Redis and Postgres. The example page (packages/client/example) is
 * served from its own origin, as an app's page would be, and calls the gateway across origins (CORS_ORIGINS).
 *
 * What an app developer must not have to think about, shown: writes whose answers are lost keep their names
 * across a reload and are counted once; writes made offline wait and are counted once when the network comes
 * back; a viewer is counted while the page plays and dropped as soon as the page closes (its `ended` leaves in
 * a keepalive request), well before the 30 s window would drop it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SCOPES } from '@tally/contracts';
import { startTallyProcesses, uniqueName, type TallyProcesses } from '@tally/testkit';
import { serveExample, type ExampleServer } from '@tally/client/example-server';

const stack = inject('stack');
const run = uniqueName('sdk');
const apiKey = { key: 'sdk-browser-key-0123456789abcdef', name: 'sdk-browser', scopes: [...SCOPES] };
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Kafka → service → Postgres or Redis → a read: how long a count may take to show a write. */
const SETTLED = { timeout: 45_000, interval: 500 };

let tally: TallyProcesses;
let example: ExampleServer;
let browser: Browser;

/** The page's own objects (this tsconfig has no DOM types). */
interface PageGlobals {
  tally: {
    client: { pending: number };
    items: {
      like(itemId: string, body: { userId: string; liked: boolean }): Promise<unknown>;
      view(itemId: string, body: { userId: string }): Promise<unknown>;
    };
  };
}

const pageUrl = (item: string, stream: string) =>
  `${example.url}/?${new URLSearchParams({ api: tally.gateway.url, key: apiKey.key, item, stream }).toString()}`;

async function read<T>(path: string): Promise<T> {
  const response = await fetch(`${tally.gateway.url}${path}`);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}
const counts = (item: string) => read<{ likes: number; views: number }>(`/v1/items/${item}/counts`);
const viewers = (stream: string) =>
  read<{ concurrent: number }>(`/v1/streams/${stream}/viewers`).then((answer) => answer.concurrent);

/** Likes (one per user) and views (a plain count, so a duplicate would show) made in the page, not awaited. */
const writeInPage = (page: Page, item: string, users: string[]) =>
  page.evaluate(
    ({ item, users }) => {
      const { tally } = globalThis as unknown as PageGlobals;
      for (const userId of users) {
        void tally.items.like(item, { userId, liked: true });
        void tally.items.view(item, { userId });
      }
    },
    { item, users },
  );
const pendingInPage = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).tally.client.pending);

/** A page whose loading has sent its own view (the example page views its item once per load). */
async function open(context: BrowserContext, item: string, stream: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`example page error: ${error.message}`));
  await page.goto(pageUrl(item, stream));
  await page.waitForFunction(() => 'tally' in globalThis);
  return page;
}

beforeAll(async () => {
  if (!existsSync(chromiumPath))
    throw new Error(
      `no chromium at ${chromiumPath}: run ./scripts/install.sh (Debian package chromium) or set CHROMIUM_PATH`,
    );
  example = await serveExample();
  tally = await startTallyProcesses(stack, { run, apiKey, gatewayEnvironment: { CORS_ORIGINS: example.url } });
  // as root (CI) chromium refuses its sandbox; the page is our own; no background traffic to a closed network
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await tally?.stop();
  await example?.close();
});

describe('@tally/client in a real browser', () => {
  it('likes and views whose answers were lost, then made offline, count exactly once across a reload', async () => {
    const item = `song-${run}`;
    const context = await browser.newContext();
    // the gateway takes each write, but its answer never reaches the page: the page must send it again
    const writes = `${tally.gateway.url}/v1/items/**`;
    let taken = 0;
    await context.route(writes, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const answer = await route.fetch();
      if (answer.status() < 300) taken++;
      await route.abort('connectionreset');
    });
    const page = await open(context, item, `stream-${run}`);
    await writeInPage(page, item, ['u0', 'u1', 'u2', 'u3']);
    // every write reached Tally at least once (1 view from the load, 4 likes, 4 views), and none was told so
    await expect.poll(() => taken, SETTLED).toBeGreaterThanOrEqual(3);
    expect(await pendingInPage(page)).toBeGreaterThan(0);

    // the reload mid-retry: the next page sends what this one kept, under the same names; answers get through
    await context.unrouteAll({ behavior: 'wait' });
    await page.reload();
    await page.waitForFunction(() => 'tally' in globalThis);
    // counted once each: 4 users' likes; their 4 views and one view per page load
    await expect.poll(() => counts(item), SETTLED).toMatchObject({ likes: 4, views: 6 });
    // and nothing is left to send (the new page has read what the last one kept, and sent it)
    await expect.poll(() => pendingInPage(page), SETTLED).toBe(0);

    // offline for a while: the writes wait in the page, then leave when the network comes back
    await context.setOffline(true);
    await writeInPage(page, item, ['u4', 'u5', 'u6']);
    await page.waitForTimeout(3000);
    expect(await pendingInPage(page)).toBe(6);
    await context.setOffline(false);
    await expect.poll(() => pendingInPage(page), SETTLED).toBe(0);

    // 7 users liked once each; 7 views made in the page and 2 page loads
    await expect.poll(() => counts(item), SETTLED).toMatchObject({ likes: 7, views: 9 });
    // and no late duplicate arrives afterwards
    await page.waitForTimeout(3000);
    expect(await counts(item)).toMatchObject({ likes: 7, views: 9 });
    await context.close();
  });

  it('two tabs of one origin share the source and never the same seq: every view counts', async () => {
    const item = `tabs-${run}`;
    const context = await browser.newContext();
    const [left, right] = [await open(context, item, `stream-${run}`), await open(context, item, `stream-${run}`)];
    // both tabs reserve seq blocks of the same source at once: IndexedDB's transactions keep them apart
    await Promise.all([
      writeInPage(left, item, ['l0', 'l1', 'l2', 'l3', 'l4']),
      writeInPage(right, item, ['r0', 'r1', 'r2', 'r3', 'r4']),
    ]);
    await expect.poll(() => Promise.all([pendingInPage(left), pendingInPage(right)]), SETTLED).toEqual([0, 0]);
    // 10 likes; 10 views made in the tabs and one per load
    await expect.poll(() => counts(item), SETTLED).toMatchObject({ likes: 10, views: 12 });
    await context.close();
  });

  it('a watching tab is a viewer, and stops being one as soon as it closes', async () => {
    const stream = `live-${run}`;
    const context = await browser.newContext();
    const page = await open(context, `watched-${run}`, stream);
    await page.getByTestId('play').click();
    await expect.poll(() => viewers(stream), SETTLED).toBe(1);
    // it stays a viewer while it plays (heartbeats every 5 s inside the 30 s window)
    await page.waitForTimeout(6000);
    expect(await viewers(stream)).toBe(1);

    await page.close({ runBeforeUnload: true });
    // dropped by its `ended`: the 30 s window alone would take longer than this poll waits
    await expect.poll(() => viewers(stream), { timeout: 20_000, interval: 250 }).toBe(0);
    await context.close();
  });
});
