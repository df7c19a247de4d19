import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * CORS_ORIGINS as the gateway takes it: "*" for any origin, or the exact origins (`scheme://host[:port]`, as a
 * browser sends them in Origin) whose pages may call the API. None: no CORS headers at all.
 */
export type CorsOrigins = '*' | readonly string[];

/** What a browser page may send: the API's methods, and the headers a write (or an event stream) carries. */
export const CORS_METHODS = ['GET', 'POST', 'PUT', 'DELETE'] as const;
export const CORS_REQUEST_HEADERS = ['authorization', 'content-type', 'accept', 'last-event-id'] as const;
/** What a page may read besides the safelisted headers: Retry-After, which a 429 or 503 says to wait. */
export const CORS_EXPOSED_HEADERS = ['retry-after'] as const;
/** How long a browser may reuse a preflight's answer (for that origin and URL), in seconds. */
export const CORS_MAX_AGE_S = 600;

/**
 * Lets browser pages on `origins` call the API (nothing when there are none). Installed on the root before every
 * other onRequest hook: a preflight is answered 204 there, before draining, rate limits and keys, since a browser
 * sends it without the Authorization header and a refused preflight fails the request it precedes for good. It
 * costs no more to answer than a 429 would, and the per-address connection cap still bounds it. Every other
 * answer, errors included (a 429's Retry-After), carries the headers a page needs to read it.
 *
 * A request from any other origin, or with no Origin (not a browser's cross-origin call), gets no CORS headers;
 * an OPTIONS from one is answered as today, 404 in the API's error shape. Keys are headers, never cookies, so no
 * credentials are allowed.
 */
export async function installCors(app: FastifyInstance, origins: CorsOrigins | undefined): Promise<void> {
  if (origins === undefined || (origins !== '*' && origins.length === 0)) return;
  const allowed = origins === '*' ? undefined : new Set(origins);
  await app.register(cors, {
    // a function rather than the list: an origin not allowed (or none) then gets no CORS headers at all, and
    // its OPTIONS no preflight answer (the plugin's own is a text/plain 400, not the API's error shape)
    origin: (origin, callback) => {
      if (origin === undefined) callback(null, false);
      else if (allowed === undefined) callback(null, '*');
      else callback(null, allowed.has(origin) ? origin : false);
    },
    methods: [...CORS_METHODS],
    allowedHeaders: [...CORS_REQUEST_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    credentials: false,
    maxAge: CORS_MAX_AGE_S,
    // an OPTIONS from an allowed origin without Access-Control-Request-Method is answered like a preflight
    // (204), rather than with the plugin's text/plain 400
    strictPreflight: false,
  });
}
