import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { apiError } from '../../domain/api-error.js';
import type { ConsoleSubscription } from '../../domain/console-view.js';
import { ID_CHARSET, ID_MAX_LENGTH } from '../../domain/ids.js';
import { METRIC_NAME } from '../../domain/item-event.js';
import { HttpProblem } from '../http/problems.js';
import { RANKING_WINDOWS } from '../http/counter-schemas.js';
import { id, strictObject } from '../http/schemas.js';
import type { ConsoleHub } from './console-hub.js';

/** The page, built by `pnpm build:console` (Vite) from services/ingest-gateway/console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist', import.meta.url));
const MAX_CHARTED_STREAMS = 10;
/** What may wait unsent for one page before its views are skipped (a few whole views). */
const MAX_UNSENT_BYTES = 1024 * 1024;

const idList = `^(${ID_CHARSET.source.slice(1, -1)})(,(${ID_CHARSET.source.slice(1, -1)})){0,${MAX_CHARTED_STREAMS - 1}}$`;

const eventsQuery = strictObject([], {
  streams: { type: 'string', maxLength: MAX_CHARTED_STREAMS * (ID_MAX_LENGTH + 1), pattern: idList, description: `Up to ${MAX_CHARTED_STREAMS} stream ids, comma separated, to chart` },
  metric: { type: 'string', pattern: METRIC_NAME.source, default: 'likes', description: 'The ranking shown: likes, views or a counter name' },
  window: { type: 'string', enum: RANKING_WINDOWS, default: '1h' },
  queue: id('The queue shown'),
  poll: id('The poll shown'),
  wallet: id('The user whose wallet is shown: the page is told when it changes'),
});

type EventsQuery = { streams?: string; metric: string; window: ConsoleSubscription['window']; queue?: string; poll?: string; wallet?: string };

/**
 * The live console: the page at /console/ and its event stream (server-sent events) at /console/events. Read-only,
 * so no key is needed, like the reads it shows.
 */
export async function consoleRoutes(app: FastifyInstance, hub: ConsoleHub): Promise<void> {
  // an event stream never ends by itself: closing the gateway ends them, or closing would wait for every page
  const openStreams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of openStreams) stream.end();
  });
  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
  app.get<{ Querystring: EventsQuery }>('/console/events', { schema: { hide: true, querystring: eventsQuery } }, (request, reply) => {
    const { streams, ...rest } = request.query;
    const asked: ConsoleSubscription = { ...rest, streams: streams ? streams.split(',') : [] };
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // tells the browser how soon to reconnect after the gateway restarts
    reply.raw.write('retry: 1000\n\n');
    const detach = hub.attach(asked, (json) => {
      // a page that does not keep up misses views rather than piling them up here: each view is whole
      if (reply.raw.writableLength < MAX_UNSENT_BYTES) reply.raw.write(`event: state\ndata: ${json}\n\n`);
    });
    openStreams.add(reply.raw);
    request.raw.once('close', () => {
      detach();
      openStreams.delete(reply.raw);
    });
  });
  if (existsSync(CONSOLE_DIST)) {
    await app.register(fastifyStatic, { root: CONSOLE_DIST, prefix: '/console/', decorateReply: false, schemaHide: true });
  } else {
    app.get('/console/', { schema: { hide: true } }, async () => {
      throw new HttpProblem(503, apiError('unavailable', `the console is not built: run \`pnpm build:console\` (looked in ${CONSOLE_DIST})`));
    });
  }
}
