/**
 * Takes the README's screenshot of the live console: start Tally with traffic (`./scripts/run.sh --load`), let it
 * run a few minutes so the chart has history, then `pnpm console:screenshot [--url URL] [--out docs/console.png]`.
 * It opens the console in Debian's chromium (playwright-core), signs in with `--key` (default TALLY_API_KEY, else the
 * development key; it needs console:read and wallets:read), picks the queue and poll the load created and a
 * wallet of the load's players, waits until every panel has data, and saves a full-page PNG.
 */
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080/console/' },
    out: { type: 'string', default: 'docs/console.png' },
    wallet: { type: 'string', default: 'player-7' },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    key: { type: 'string', default: process.env.TALLY_API_KEY ?? 'tally-dev-key' },
  },
});

const browser = await chromium.launch({
  executablePath: values.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(values.url);
  // the console asks for a key before it shows anything
  await page.getByTestId('key-input').fill(values.key);
  await page.getByTestId('key-submit').click();
  const refused = page.getByTestId('key-problem');
  const live = page.getByTestId('live-status').filter({ hasText: /^live$/ });
  const waits = [live.waitFor().then(() => undefined), refused.waitFor().then(() => refused.innerText())];
  // the one that loses fails when the browser closes: nobody waits for it
  for (const wait of waits) wait.catch(() => undefined);
  const why = await Promise.race(waits);
  if (why !== undefined) throw new Error(`the console refused the key: ${why}`);
  // the newest load run's queue and poll: the ids offered are the ones seen on the change topics
  const newest = async (testId: string) => {
    const list = await page.getByTestId(testId).getAttribute('list');
    const options = list
      ? await page
          .locator(`datalist#${list} option`)
          .evaluateAll((all) => all.map((o) => o.getAttribute('value') ?? ''))
      : [];
    return (
      options
        .filter((id) => id.startsWith('load-'))
        .sort()
        .at(-1) ?? options.at(-1)
    );
  };
  await page.locator('[data-testid="viewers-row"]').first().waitFor();
  for (const testId of ['queue-id', 'poll-id']) {
    const id = await newest(testId);
    if (id === undefined)
      throw new Error(`the console offers no ${testId}: is the load running (./scripts/run.sh --load)?`);
    await page.getByTestId(testId).fill(id);
    await page.getByTestId(testId).press('Enter');
  }
  await page.getByTestId('wallet-user').fill(values.wallet);
  await page.getByTestId('wallet-lookup').click();
  await page.locator('[data-testid="wallet-tx"]').first().waitFor();
  await page.locator('[data-testid="poll-option"]').first().waitFor();
  await page.locator('[data-testid="ranking-row"]').first().waitFor();
  // a few more updates, so every panel shows a live view rather than its first
  await page.waitForTimeout(3000);
  await page.screenshot({ path: values.out, fullPage: true });
  console.log(`saved ${values.out}`);
} finally {
  await browser.close();
}
