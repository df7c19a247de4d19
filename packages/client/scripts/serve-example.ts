/**
 * Serves the example page (packages/client/example) and the browser bundle beside it, on 127.0.0.1, for a
 * person to try and for the browser end-to-end test. The gateway must allow the page's origin:
 * `CORS_ORIGINS=http://127.0.0.1:5173`.
 *
 *   tsx packages/client/scripts/serve-example.ts [port]     (default 5173)
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ENTRIES, bundle } from './bundle.js';

const exampleDir = fileURLToPath(new URL('../example/', import.meta.url));
const TYPES: Record<string, string> = { html: 'text/html', js: 'text/javascript' };

export interface ExampleServer {
  url: string;
  close(): Promise<void>;
}

/** Bundles the SDK's entries once, then serves index.html, app.js and the bundles; nothing else. */
export async function serveExample(port = 0): Promise<ExampleServer> {
  const bundles = new Map<string, string>();
  for (const name of ['sdk', 'live'] as const) bundles.set(ENTRIES[name].file, (await bundle(name)).code);
  const server: Server = createServer((request, response) => {
    const name = new URL(request.url ?? '/', 'http://x').pathname.slice(1) || 'index.html';
    const body = bundles.has(name)
      ? Promise.resolve(bundles.get(name)!)
      : ['index.html', 'app.js'].includes(name)
        ? readFile(`${exampleDir}${name}`, 'utf8')
        : Promise.reject(new Error('not found'));
    body.then(
      (text) => {
        response.writeHead(200, {
          'content-type': `${TYPES[name.split('.').pop()!]}; charset=utf-8`,
          'cache-control': 'no-store',
        });
        response.end(text);
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await serveExample(Number(process.argv[2] ?? 5173));
  console.log(`the example page: ${server.url}/?api=http://127.0.0.1:8080&key=tally-dev-key&item=song-1&stream=live-1`);
  console.log(`the gateway must allow this origin: CORS_ORIGINS=${server.url}`);
}
