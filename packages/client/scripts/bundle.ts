/**
 * The browser build of @tally/client: one minified ES module per entry, in dist/browser/ (tally-client.js for the
 * SDK, tally-client-live.js for live reads), and their size budgets. `pnpm build` empties dist/: bundle after it.
 *
 *   tsx packages/client/scripts/bundle.ts           writes the bundles, prints their sizes
 *   tsx packages/client/scripts/bundle.ts --check   fails when a gzipped bundle is over its budget
 *
 * The budget is what a page pays to count exactly: analytics.js-class SDKs weigh 20-40 kB gzipped; ours stays
 * under 6 KiB (writes, batching, the outbox, viewers, queues, typed calls for every route) so nobody has a
 * reason to hand-roll writes instead. Live reads are a page's choice, in an entry of their own under 2 KiB.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Each browser entry: its source, its file in dist/browser/, and its budget in gzipped bytes. */
export const ENTRIES = {
  sdk: { source: 'src/index.ts', file: 'tally-client.js', budget: 6 * 1024 },
  live: { source: 'src/live.ts', file: 'tally-client-live.js', budget: 2 * 1024 },
} as const;

/** An entry's bundle: its text and sizes. */
export async function bundle(
  entry: keyof typeof ENTRIES = 'sdk',
): Promise<{ code: string; bytes: number; gzipBytes: number }> {
  const result = await build({
    entryPoints: [`${root}${ENTRIES[entry].source}`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    minify: true,
    write: false,
    legalComments: 'none',
  });
  const code = result.outputFiles[0]!.text;
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let over = false;
  for (const [name, entry] of Object.entries(ENTRIES)) {
    const { code, bytes, gzipBytes } = await bundle(name as keyof typeof ENTRIES);
    console.log(`@tally/client ${name}: ${bytes} bytes, ${gzipBytes} gzipped (budget ${entry.budget})`);
    over ||= gzipBytes > entry.budget;
    if (!process.argv.includes('--check')) {
      mkdirSync(`${root}dist/browser`, { recursive: true });
      writeFileSync(`${root}dist/browser/${entry.file}`, code);
    }
  }
  if (over) {
    console.error('over the size budget: make it smaller, or raise the budget in a reviewed change saying why');
    process.exit(1);
  }
}
