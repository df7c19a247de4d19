/**
 * The browser build of @tally/client: one minified ES module (dist/tally-client.js), and its size budget.
 *
 *   tsx packages/client/scripts/bundle.ts           writes the bundle, prints its size
 *   tsx packages/client/scripts/bundle.ts --check   fails when the gzipped bundle is over the budget
 *
 * The budget is what a page pays to count exactly: analytics.js-class SDKs weigh 20-40 kB gzipped; ours stays
 * under 6 kB so nobody has a reason to hand-roll writes instead.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export const BUDGET_GZIP_BYTES = 6 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));

/** The bundle's text and sizes. */
export async function bundle(): Promise<{ code: string; bytes: number; gzipBytes: number }> {
  const result = await build({
    entryPoints: [`${root}src/index.ts`],
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
  const { code, bytes, gzipBytes } = await bundle();
  const line = `@tally/client browser bundle: ${bytes} bytes, ${gzipBytes} gzipped (budget ${BUDGET_GZIP_BYTES})`;
  if (process.argv.includes('--check')) {
    console.log(line);
    if (gzipBytes > BUDGET_GZIP_BYTES) {
      console.error('over the size budget: make it smaller, or raise the budget in a reviewed change saying why');
      process.exit(1);
    }
  } else {
    mkdirSync(`${root}dist`, { recursive: true });
    writeFileSync(`${root}dist/tally-client.js`, code);
    console.log(`${line}\nwrote packages/client/dist/tally-client.js`);
  }
}
