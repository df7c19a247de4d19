/**
 * The live console in a real browser: Debian's chromium, driven by playwright-core, against all of Tally running
 * as processes on the real Kafka, registry, Redis and Postgres. The test drives traffic through the public API and
 * waits for the page (fed by server-sent events from the services' change topics) to show the right numbers.
 * The page asks for an API key first (console:read); the test shows it refusing without one, then signs in.
 * Screenshots of every step are saved in test-results/console/ (CONSOLE_SCREENSHOTS overrides the folder).
 * Needs chromium: ./scripts/install.sh installs the Debian package (CHROMIUM_PATH overrides where it is).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createSchemaRegistry, topicCodec, type LateRecord } from '@tally/schemas';
import { repoRoot } from '@tally/stack';
import { startTallyProcesses, tallyTopicNames, testKafka, uniqueName, type TallyProcesses } from '@tally/testkit';
import { TOPICS, SCOPES } from '@tally/contracts';

const stack = inject('stack');
const run = uniqueName('console');
const apiKey = {
  key: 'console-test-key-0123456789abcdef',
  name: 'console-test',
  scopes: [...SCOPES],
};
/** A key that may not open the console, and one that may but may not read wallets. */
const writerKey = { key: 'console-writer-key-0123456789abcdef', name: 'console-writer', scopes: ['viewers:write'] };
const watcherKey = { key: 'console-watcher-key-0123456789abcdef', name: 'console-watcher', scopes: ['console:read'] };
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshots = process.env.CONSOLE_SCREENSHOTS ?? join(repoRoot, 'test-results', 'console');
/** How long the page may take to show a change: Kafka → service → change topic → gateway → event stream. */
const LIVE = { timeout: 30_000 };

let tally: TallyProcesses;
let browser: Browser;
let page: Page;
let seq = 0;

async function send(
  method: 'POST' | 'PUT',
  path: string,
  body?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${tally.gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey.key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  expect(response.status, `${method} ${path}: ${JSON.stringify(answer)}`).toBeLessThan(300);
  return answer;
}

const write = (path: string, body: Record<string, unknown>) =>
  send('POST', path, { source: `console-${run}`, seq: seq++, ...body });

async function screenshot(name: string): Promise<void> {
  const path = join(screenshots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`console screenshot: ${path}`);
}

/** Types into one of the page's inputs and applies it the way a person does: Enter. */
async function choose(testId: string, value: string): Promise<void> {
  const input = page.getByTestId(testId);
  await input.fill(value);
  await input.press('Enter');
}

const text = (locator: Locator) => locator.innerText().then((t) => t.trim());

/** Enters a key in the page's key form. */
async function signIn(key: string): Promise<void> {
  await page.getByTestId('key-input').fill(key);
  await page.getByTestId('key-submit').click();
}

const liveStatus = () => text(page.getByTestId('live-status'));

/** What the page keeps in the browser's storage (read in the page; this tsconfig has no DOM types). */
type WebStorage = { length: number; getItem(name: string): string | null };
const stored = () =>
  page.evaluate(() => {
    const { sessionStorage, localStorage } = globalThis as unknown as {
      sessionStorage: WebStorage;
      localStorage: WebStorage;
    };
    return {
      session: sessionStorage.length,
      local: localStorage.length,
      key: sessionStorage.getItem('tally.console.apiKey'),
    };
  });

beforeAll(async () => {
  if (!existsSync(chromiumPath))
    throw new Error(
      `no chromium at ${chromiumPath}: run ./scripts/install.sh (Debian package chromium) or set CHROMIUM_PATH`,
    );
  mkdirSync(screenshots, { recursive: true });
  // the gateway counts this Tally's own side topics (the services write there; the testkit names them)
  const sideTopics = tallyTopicNames(`test.${run}`);
  tally = await startTallyProcesses(stack, {
    run,
    apiKey,
    gatewayEnvironment: {
      DLQ_TOPIC: sideTopics.deadLetters,
      LATE_TOPIC: sideTopics.late,
      API_KEYS: JSON.stringify([apiKey, writerKey, watcherKey]),
    },
  });
  expect([tally.topics.deadLetters, tally.topics.late]).toEqual([sideTopics.deadLetters, sideTopics.late]);
  // as root (CI) chromium refuses its sandbox; the page is our own, served by the gateway under test
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (error) => console.error(`console page error: ${error.message}`));
});

afterAll(async () => {
  await browser?.close();
  await tally?.stop();
});

describe('the live console in a real browser', () => {
  it('the console refuses a page without a key: only a key form, the stream answers 401, a refused key is shown with why', async () => {
    const response = await page.goto(`${tally.gateway.url}/console/`);
    expect(response?.status()).toBe(200);
    await page.getByTestId('key-form').waitFor();
    expect(await page.getByTestId('live-status').count()).toBe(0);
    expect(await page.locator('.card').count()).toBe(1);
    expect(await page.evaluate(async () => (await fetch('/console/events')).status)).toBe(401);
    await screenshot('00-key-form');

    await signIn('not-a-key-0123456789abcdef');
    await expect.poll(() => text(page.getByTestId('key-problem')), LIVE).toMatch(/the API key is not valid/);
    await signIn(writerKey.key);
    await expect.poll(() => text(page.getByTestId('key-problem')), LIVE).toMatch(/lacks the scope console:read/);
    expect(await page.getByTestId('live-status').count()).toBe(0);
    // a refused key is not kept
    expect(await stored()).toEqual({ session: 0, local: 0, key: null });
    await screenshot('00b-key-refused');
  });

  it('follows a wallet only with a key that may read it, and forgets the key on sign out', async () => {
    await signIn(watcherKey.key);
    await expect.poll(liveStatus, LIVE).toBe('live');
    // kept for this tab only
    expect(await stored()).toEqual({ session: 1, local: 0, key: watcherKey.key });
    await page.getByTestId('wallet-user').fill(`someone-${run}`);
    await page.getByTestId('wallet-lookup').click();
    await expect.poll(liveStatus, LIVE).toBe('refused');
    expect(await text(page.getByTestId('live-problem'))).toMatch(
      /wallet on the console needs a key that may read it: the API key "console-watcher" lacks the scope wallets:read/,
    );
    // the panel's own read of the wallet is refused as well: nothing private shows
    await expect
      .poll(() => text(page.locator('.card-wallet .error-note').first()), LIVE)
      .toMatch(/lacks the scope wallets:read/);
    expect(await page.getByTestId('wallet-balance').count()).toBe(0);
    await screenshot('00c-wallet-refused');
    await page.getByTestId('wallet-user').fill('');
    await page.getByTestId('wallet-lookup').click();
    await expect.poll(liveStatus, LIVE).toBe('live');

    await page.getByTestId('sign-out').click();
    await page.getByTestId('key-form').waitFor();
    expect(await page.getByTestId('key-problem').count()).toBe(0);
    expect(await stored()).toEqual({ session: 0, local: 0, key: null });
  });

  it('loads from the gateway with a key, goes live and shows the lag of every service', async () => {
    await signIn(apiKey.key);
    await expect.poll(liveStatus, LIVE).toBe('live');
    // a reload keeps the key of this tab
    await page.reload();
    await expect.poll(liveStatus, LIVE).toBe('live');
    for (const group of Object.values(tally.groups)) {
      await expect.poll(() => page.locator(`[data-testid="lag-row"][data-group="${group}"]`).count(), LIVE).toBe(1);
    }
    await screenshot('01-loaded');
  });

  it('says why when the gateway refuses a choice, and goes live again once it is corrected', async () => {
    await choose('queue-id', 'no spaces allowed');
    await expect.poll(() => text(page.getByTestId('live-status')), LIVE).toBe('refused');
    expect(await text(page.getByTestId('live-problem'))).toMatch(/querystring\.queue/);
    await screenshot('01b-refused');
    await choose('queue-id', '');
    await expect.poll(() => text(page.getByTestId('live-status')), LIVE).toBe('live');
    expect(await page.getByTestId('live-problem').count()).toBe(0);
  });

  it('shows live viewers per stream as heartbeats arrive and sessions end, with a chart', async () => {
    const stage = `stage-${run}`;
    const side = `side-${run}`;
    const beat = (streamId: string, sessionId: string, state?: string) =>
      write(`/v1/streams/${streamId}/heartbeats`, { sessionId, positionMs: 1000, ...(state ? { state } : {}) });
    await Promise.all([beat(stage, 'a'), beat(stage, 'b'), beat(stage, 'c'), beat(side, 'd')]);
    const viewers = (streamId: string) =>
      text(page.locator(`[data-testid="viewers-row"][data-stream-id="${streamId}"] [data-testid="viewers-count"]`));
    await expect.poll(() => viewers(stage), LIVE).toBe('3');
    await expect.poll(() => viewers(side), LIVE).toBe('1');
    await beat(stage, 'a', 'ended');
    await expect.poll(() => viewers(stage), LIVE).toBe('2');
    // the chart draws the charted streams' last minutes
    await expect
      .poll(() => page.getByTestId('viewers-chart').locator('path, polyline').count(), LIVE)
      .toBeGreaterThan(0);
    await screenshot('02-viewers');
  });

  it('ranks items by likes in the chosen window as likes arrive', async () => {
    const [top, second, third] = [`top-${run}`, `second-${run}`, `third-${run}`] as const;
    const likes: [string, number][] = [
      [top, 4],
      [second, 2],
      [third, 1],
    ];
    await Promise.all(
      likes.flatMap(([item, n]) =>
        Array.from({ length: n }, (_, i) => write(`/v1/items/${item}/likes`, { userId: `fan-${i}`, liked: true })),
      ),
    );
    const row = (item: string) => page.locator(`[data-testid="ranking-row"][data-item-id="${item}"]`);
    // rank and score polled together: the rank can be right before every like is in (top at 2 of its 4 likes
    // already leads second at 1)
    const standing = async (item: string) =>
      `#${await row(item).getAttribute('data-rank')} with ${await text(row(item).getByTestId('ranking-score'))}`;
    for (const [rank, [item, n]] of likes.entries())
      await expect.poll(() => standing(item), LIVE).toBe(`#${rank + 1} with ${n}`);
    // a like taken back moves the item down, live
    await write(`/v1/items/${top}/likes`, { userId: 'fan-0', liked: false });
    await write(`/v1/items/${top}/likes`, { userId: 'fan-1', liked: false });
    await write(`/v1/items/${top}/likes`, { userId: 'fan-2', liked: false });
    await expect.poll(() => row(second).getAttribute('data-rank'), LIVE).toBe('1');
    await expect.poll(() => text(row(top).getByTestId('ranking-score')), LIVE).toBe('1');
    await screenshot('03-rankings');
  });

  it('shows a queue filling up: waiting, active, capacity, admissions, and a ticket looked up', async () => {
    const queue = `concert-${run}`;
    await send('PUT', `/v1/queues/${queue}`, { capacity: 2, activeSeconds: 300 });
    const tickets: string[] = [];
    for (let i = 0; i < 5; i++)
      tickets.push((await write(`/v1/queues/${queue}/tickets`, { userId: `fan-${i}` })).ticketId as string);
    await choose('queue-id', queue);
    const figure = (testId: string) => text(page.getByTestId(testId));
    await expect.poll(() => figure('queue-active'), LIVE).toBe('2');
    await expect.poll(() => figure('queue-waiting'), LIVE).toBe('3');
    expect(await figure('queue-capacity')).toBe('2');
    expect(await figure('queue-admitted-total')).toBe('2');
    await expect.poll(() => figure('queue-admission-rate'), LIVE).toBe('2');

    await choose('ticket-id', tickets[4]!);
    await page.getByTestId('ticket-lookup').click();
    await expect.poll(() => figure('ticket-status'), LIVE).toBe('waiting');
    expect(await figure('ticket-position')).toBe('2');

    // one admitted fan is done: the next in line is let in, and the page follows
    await send('POST', `/v1/queues/${queue}/tickets/${tickets[0]}/complete`);
    await expect.poll(() => figure('queue-waiting'), LIVE).toBe('2');
    await expect.poll(() => figure('queue-admitted-total'), LIVE).toBe('3');
    await expect.poll(() => figure('queue-admission-rate'), LIVE).toBe('3');
    await screenshot('04-queue');
  });

  it("shows a poll's global ranking and its region's bars as votes are counted", async () => {
    const poll = `anthem-${run}`;
    await send('PUT', `/v1/polls/${poll}`, {
      options: ['north', 'south', 'east'],
      regions: Object.fromEntries(tally.regions.map((r) => [r, { weight: 1 }])),
    });
    await choose('poll-id', poll);
    const votes: [string, number][] = [
      ['south', 5],
      ['north', 3],
      ['east', 0],
    ];
    let voter = 0;
    for (const [optionId, n] of votes) {
      for (let i = 0; i < n; i++)
        await write(`/v1/polls/${poll}/votes`, { region: tally.region, userId: `voter-${voter++}`, optionId });
    }
    const option = (optionId: string) => page.locator(`[data-testid="poll-option"][data-option-id="${optionId}"]`);
    await expect
      .poll(
        () =>
          text(
            page.locator(
              `[data-testid="poll-region"][data-region="${tally.region}"] [data-testid="poll-region-votes"]`,
            ),
          ),
        LIVE,
      )
      .toBe('8');
    await expect.poll(() => option('south').getAttribute('data-rank'), LIVE).toBe('1');
    // shares of the one region with votes: 5/8 and 3/8
    expect(await text(option('south').getByTestId('poll-score'))).toBe('62.5%');
    expect(await option('north').getAttribute('data-rank')).toBe('2');
    expect(await text(option('north').getByTestId('poll-score'))).toBe('37.5%');
    expect(await text(option('east').getByTestId('poll-score'))).toBe('0.0%');
    await screenshot('05-poll');
  });

  it('looks up a wallet and follows its history live', async () => {
    const user = `alice-${run}`;
    const transact = (type: string, amount: string) =>
      write(`/v1/wallets/${user}/transactions?wait=true`, { type, asset: 'coins', amount });
    expect(await transact('credit', '12.34')).toMatchObject({ status: 'applied' });
    expect(await transact('debit', '2.30')).toMatchObject({ status: 'applied' });
    await choose('wallet-user', user);
    await page.getByTestId('wallet-lookup').click();
    const balance = () => text(page.locator('[data-testid="wallet-balance"][data-asset="coins"]'));
    await expect.poll(balance, LIVE).toBe('10.04');
    expect(await page.getByTestId('wallet-tx').count()).toBe(2);

    // while the page shows the wallet: a refused overdraft and a credit appear without another lookup
    expect(await transact('debit', '50.00')).toMatchObject({ status: 'rejected' });
    expect(await transact('credit', '0.96')).toMatchObject({ status: 'applied' });
    await expect.poll(balance, LIVE).toBe('11.00');
    await expect.poll(() => page.getByTestId('wallet-tx').count(), LIVE).toBe(4);
    const newest = page.getByTestId('wallet-tx').first();
    expect(await text(newest.getByTestId('wallet-tx-balance-after'))).toBe('11.00');
    expect(await text(newest.getByTestId('wallet-tx-status'))).toBe('applied');
    expect(await text(page.getByTestId('wallet-tx').nth(1).getByTestId('wallet-tx-status'))).toBe('rejected');
    await screenshot('06-wallet');
  });

  it('shows available and held, transfers by their other side, pending holds, group members, and rejections with their reason', async () => {
    const [alice, bob] = [`alice-${run}`, `bob-${run}`];
    const wait = (path: string, body: Record<string, unknown>) => write(`${path}?wait=true`, body);
    const coins = { asset: 'coins' };
    // alice has 11.00 from the test before
    const sent = await wait('/v1/transfers', { from: alice, to: bob, ...coins, amount: '1.00' });
    expect(sent).toMatchObject({ status: 'applied', balance: '10.00' });
    const kept = await wait(`/v1/wallets/${alice}/holds`, { ...coins, amount: '3.00', timeoutSeconds: 600 });
    const paying = await wait(`/v1/wallets/${alice}/holds`, { ...coins, amount: '2.00', timeoutSeconds: 600, to: bob });
    expect(await wait(`/v1/wallets/${alice}/holds/${paying.id}/capture`, { ...coins, amount: '1.50' })).toMatchObject({
      status: 'applied',
      balance: '8.50',
      held: '3.00',
    });
    const group = await wait('/v1/wallets/groups', {
      members: [
        { type: 'credit', userId: alice, ...coins, amount: '0.50' },
        { type: 'transfer', from: alice, to: bob, ...coins, amount: '0.25' },
      ],
    });
    expect(group).toMatchObject({ status: 'applied' });
    const refused = await wait('/v1/transfers', { from: alice, to: bob, ...coins, amount: '1000.00' });
    expect(refused).toMatchObject({ status: 'rejected', reason: 'insufficient_funds' });
    // the first transfer's id again, with another amount: refused, and the first stands
    const [source, transferSeq] = String(sent.id).split(':');
    const reuse = await fetch(`${tally.gateway.url}/v1/transfers?wait=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source, seq: Number(transferSeq), from: alice, to: bob, ...coins, amount: '2.00' }),
    });
    expect(reuse.status).toBe(409);

    const figure = (testId: string) => text(page.locator(`[data-testid="${testId}"][data-asset="coins"]`));
    await expect.poll(() => figure('wallet-balance'), LIVE).toBe('8.75');
    expect(await figure('wallet-available')).toBe('5.75');
    expect(await figure('wallet-held')).toBe('3.00');

    // the hold nobody captured is pending, with its countdown; the captured one is not
    const holds = page.getByTestId('wallet-hold');
    await expect.poll(() => holds.count(), LIVE).toBe(1);
    expect(await holds.first().getAttribute('data-hold-id')).toBe(kept.id);
    expect(await text(holds.first().getByTestId('wallet-hold-amount'))).toBe('3.00');
    expect(await text(holds.first().getByTestId('wallet-hold-expires'))).toMatch(/^expires in (9|10) min$/);

    const row = (id: unknown) => page.locator(`[data-testid="wallet-tx"][data-tx-id="${String(id)}"]`);
    const cell = (id: unknown, testId: string, nth = 0) => text(row(id).nth(nth).getByTestId(testId));
    await expect.poll(() => row(refused.id).count(), LIVE).toBe(1);
    expect(await cell(sent.id, 'wallet-tx-party')).toBe(`→ ${bob}`);
    expect(await cell(sent.id, 'wallet-tx-amount')).toBe('\u22121.00');
    expect(await cell(kept.id, 'wallet-tx-kind')).toBe('hold');
    expect(await cell(kept.id, 'wallet-tx-amount')).toBe('3.00');
    expect(
      await text(page.locator('[data-testid="wallet-tx"][data-type="capture"]').getByTestId('wallet-tx-party')),
    ).toBe(`→ ${bob}`);
    // a group's two members of alice's, each marked
    expect(await row(group.id).getByTestId('wallet-tx-group').count()).toBe(2);
    expect(await cell(refused.id, 'wallet-tx-status')).toBe('rejected');
    expect(await cell(refused.id, 'wallet-tx-reason')).toBe('insufficient_funds');
    // the reuse shows on the write whose id it reused, once its row is opened
    await row(sent.id).getByTestId('wallet-tx-open').click();
    await expect
      .poll(() => text(page.getByTestId('wallet-tx-conflict')), LIVE)
      .toMatch(/id_reused_with_different_amount/);
    await screenshot('06c-wallet-holds-and-transfers');

    // bob's side: what alice sent and what her capture paid, coming in
    await choose('wallet-user', bob);
    await page.getByTestId('wallet-lookup').click();
    await expect.poll(() => figure('wallet-balance'), LIVE).toBe('2.75');
    expect(await cell(sent.id, 'wallet-tx-party')).toBe(`← ${alice}`);
    expect(await cell(sent.id, 'wallet-tx-amount')).toBe('+1.00');
    expect(
      await text(page.locator('[data-testid="wallet-tx"][data-type="capture"]').getByTestId('wallet-tx-amount')),
    ).toBe('+1.50');
    expect(await page.getByTestId('wallet-hold').count()).toBe(0);
  });

  it("shows each service's dead-lettered and late records beside its lag, each source record once", async () => {
    const producer = testKafka(stack.brokers).producer();
    await producer.connect();
    // a record that is not Avro: viewer-aggregator dead-letters it (DECODE_FAILED), and its partition goes on
    await producer.send({
      topic: tally.topics.heartbeats,
      messages: [{ key: `poison-${run}`, value: Buffer.from('not an avro record') }],
    });
    // a late record reported twice, as the runtime may (at least once), then another group's: the first counts once
    const lateCodec = topicCodec(createSchemaRegistry(stack.registryUrl), tally.topics.late, TOPICS.late.valueSchema);
    const late = (service: string, consumerGroup: string, sourceTopic: string, offset: number): LateRecord => ({
      service,
      consumerGroup,
      sourceTopic,
      partition: 0,
      offset,
      writeId: `console-${run}:${offset}`,
      reasonCode: 'AFTER_GRACE',
      reason: 'received 900 s after its window ended; the window allows 300 s',
      windows: ['counters.ranking.1h'],
      otherEffectsApplied: true,
      eventTimeMs: Date.now() - 900_000,
      receivedAtMs: Date.now(),
      key: Buffer.from('item-1'),
      value: null,
      headers: {},
      recordTimestampMs: Date.now(),
      setAsideAtMs: Date.now(),
    });
    const reports = [
      late('counter-materializer', tally.groups.materializer, tally.topics.itemEvents, 7),
      late('counter-materializer', tally.groups.materializer, tally.topics.itemEvents, 7),
      late('wallet-ledger', tally.groups.ledger, tally.topics.walletCommands, 3),
    ];
    // one partition: the console reads them in this order, so once the last shows, the repeat has been read too
    for (const r of reports)
      await producer.send({
        topic: tally.topics.late,
        messages: [{ key: `${r.sourceTopic}/${r.partition}/${r.offset}`, value: await lateCodec.encode(r) }],
      });
    await producer.disconnect();

    const cell = (group: string, testId: string) =>
      page.locator(`[data-testid="lag-row"][data-group="${group}"] [data-testid="${testId}"]`);
    await expect.poll(() => text(cell(tally.groups.aggregator, 'lag-dead-lettered')), LIVE).toBe('1');
    await expect.poll(() => text(cell(tally.groups.ledger, 'lag-late')), LIVE).toBe('1');
    expect(await text(cell(tally.groups.materializer, 'lag-late'))).toBe('1');
    expect(await cell(tally.groups.aggregator, 'lag-dead-lettered').getAttribute('title')).toBe(
      'reasons: DECODE_FAILED 1',
    );
    // each kind in its own column
    expect(await text(cell(tally.groups.aggregator, 'lag-late'))).toBe('0');
    await screenshot('06b-dead-lettered-and-late');
  });

  it('shows every service caught up: lag 0 for each group once the traffic is processed', async () => {
    for (const group of Object.values(tally.groups)) {
      await expect
        .poll(
          () => text(page.locator(`[data-testid="lag-row"][data-group="${group}"] [data-testid="lag-value"]`)),
          LIVE,
        )
        .toBe('0');
    }
    await screenshot('07-everything');
  });
});
