import { existsSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { apiError } from '../../domain/api-error.js';
import { serves, type ApiKeyring } from '../../domain/api-keys.js';
import type { ConsoleSubscription } from '../../domain/console-view.js';
import { ID_CHARSET, ID_MAX_LENGTH } from '../../domain/ids.js';
import { METRIC_NAME } from '../../domain/item-event.js';
import { callerOf, requireScope } from '../http/auth.js';
import { HttpProblem } from '../http/problems.js';
import { RANKING_WINDOWS } from '../http/counter-schemas.js';
import { id, strictObject } from '../http/schemas.js';
import type { ConsoleHub } from './console-hub.js';

/** The page, built by `pnpm build:console` (Vite) from services/ingest-gateway/console. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist', import.meta.url));
const MAX_CHARTED_STREAMS = 10;
/** What may wait unsent for one page before its views are skipped (a few whole views). */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** What a page told it has too many streams open is asked to wait before it tries again. */
const STREAM_CAP_RETRY_SECONDS = 5;

const idList = `^(${ID_CHARSET.source.slice(1, -1)})(,(${ID_CHARSET.source.slice(1, -1)})){0,${MAX_CHARTED_STREAMS - 1}}$`;

const eventsQuery = strictObject([], {
  streams: {
    type: 'string',
    maxLength: MAX_CHARTED_STREAMS * (ID_MAX_LENGTH + 1),
    pattern: idList,
    description: `Up to ${MAX_CHARTED_STREAMS} stream ids, comma separated, to chart`,
  },
  metric: {
    type: 'string',
    pattern: METRIC_NAME.source,
    default: 'likes',
    description: 'The ranking shown: likes, views or a counter name',
  },
  window: { type: 'string', enum: RANKING_WINDOWS, default: '1h' },
  queue: id('The queue shown'),
  poll: id('The poll shown'),
  wallet: id('The user whose wallet is shown: the page is told when it changes'),
});

type EventsQuery = {
  streams?: string;
  metric: string;
  window: ConsoleSubscription['window'];
  queue?: string;
  poll?: string;
  wallet?: string;
};

export interface ConsoleRouteOptions {
  hub: ConsoleHub;
  keyring: ApiKeyring;
  /** CONSOLE_STREAMS_PER_KEY: event streams one key may hold open at once on this instance. */
  streamsPerKey: number;
}

/**
 * The live console: the page at /console/ (public: static files without data) and its event stream (server-sent
 * events) at /console/events, for operators: it needs a key with `console:read` (401/403 like any route), a
 * wallet on it needs `wallets:read` for that user (403 naming `querystring.wallet`), and one key holds at most
 * `streamsPerKey` streams open at once (429 `rate_limited` with Retry-After; closing one frees its place).
 */
export const consoleRoutes: FastifyPluginAsync<ConsoleRouteOptions> = async (app, { hub, keyring, streamsPerKey }) => {
  // an event stream never ends by itself: closing the gateway ends them, or closing would wait for every page
  // (preClose, not onClose: the server waits for requests in flight before onClose runs)
  const openStreams = new Set<ServerResponse>();
  /** Open streams per key name. */
  const streamsOf = new Map<string, number>();
  app.addHook('preClose', async () => {
    for (const stream of openStreams) stream.end();
  });
  app.get('/console', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console/'));
  app.get<{ Querystring: EventsQuery }>(
    '/console/events',
    {
      schema: { hide: true, querystring: eventsQuery },
      onRequest: requireScope(keyring, 'console:read'),
      preHandler: walletShownOnlyIfReadable,
    },
    (request, reply) => {
      const holder = callerOf(request)!.name;
      const open = streamsOf.get(holder) ?? 0;
      if (open >= streamsPerKey) {
        const message = `the API key "${holder}" already has ${open} console streams open (at most ${streamsPerKey}); close one and retry in ${STREAM_CAP_RETRY_SECONDS} s`;
        throw new HttpProblem(429, apiError('rate_limited', message), {
          'retry-after': String(STREAM_CAP_RETRY_SECONDS),
        });
      }
      // counted before anything can wait, so concurrent opens never pass the cap together
      streamsOf.set(holder, open + 1);
      const { streams, ...rest } = request.query;
      const asked: ConsoleSubscription = { ...rest, streams: streams ? streams.split(',') : [] };
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // tells the page how soon to reconnect after the gateway restarts
      reply.raw.write('retry: 1000\n\n');
      const detach = hub.attach(asked, (json) => {
        // a page that does not keep up misses views rather than piling them up here: each view is whole
        if (reply.raw.writableLength < MAX_UNSENT_BYTES) reply.raw.write(`event: state\ndata: ${json}\n\n`);
      });
      openStreams.add(reply.raw);
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        detach();
        openStreams.delete(reply.raw);
        const left = (streamsOf.get(holder) ?? 1) - 1;
        if (left === 0) streamsOf.delete(holder);
        else streamsOf.set(holder, left);
      };
      // the page went away, or the stream was ended here (the gateway closing)
      request.raw.once('close', close);
      reply.raw.once('close', close);
    },
  );
  if (existsSync(CONSOLE_DIST)) {
    await app.register(fastifyStatic, {
      root: CONSOLE_DIST,
      prefix: '/console/',
      decorateReply: false,
      schemaHide: true,
    });
  } else {
    app.get('/console/', { schema: { hide: true } }, async () => {
      throw new HttpProblem(
        503,
        apiError('unavailable', `the console is not built: run \`pnpm build:console\` (looked in ${CONSOLE_DIST})`),
      );
    });
  }
};

/**
 * The stream says when a wallet changes, so a page may follow one only with a key that may read it: `wallets:read`
 * serving that user. Otherwise the whole stream is refused (403) naming the field, and the page asks for another.
 */
async function walletShownOnlyIfReadable(request: FastifyRequest<{ Querystring: EventsQuery }>): Promise<void> {
  const userId = request.query.wallet;
  const caller = callerOf(request);
  if (userId === undefined || caller === undefined) return;
  const why = !caller.scopes.includes('wallets:read')
    ? `the API key "${caller.name}" lacks the scope wallets:read`
    : !serves(caller, 'users', userId)
      ? `the API key "${caller.name}" does not serve user ${userId}`
      : undefined;
  if (why === undefined) return;
  throw new HttpProblem(
    403,
    apiError('forbidden', `a wallet on the console needs a key that may read it: ${why}`, [
      { field: 'querystring.wallet', message: why },
    ]),
  );
}
