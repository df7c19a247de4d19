/**
 * The public API's types, read off the OpenAPI document the gateway publishes (generated into
 * generated/api.ts by `pnpm gen:client`): a request body, a query, an answer, by path and method. Nothing here
 * is written by hand but the way to look them up.
 */
import type { paths } from './generated/api.js';

export type { paths };
export type Path = keyof paths;
type Method = 'get' | 'post' | 'put' | 'delete';
type Operation<P extends Path, M extends Method> = NonNullable<paths[P][M]>;
type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The JSON body a route takes. */
export type RequestBody<P extends Path, M extends Method = 'post'> =
  Operation<P, M> extends { requestBody?: infer Body } ? Json<NonNullable<Body>> : never;

/** What the app says of a write: its body without the (source, seq) the SDK names it with. */
export type WriteBody<P extends Path, M extends Method = 'post'> = Omit<RequestBody<P, M>, 'source' | 'seq'>;

/** The query a route takes. */
export type Query<P extends Path, M extends Method = 'get'> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** What a route answers with `status`. */
export type Answer<P extends Path, M extends Method = 'get', S extends number = 200> =
  Operation<P, M> extends { responses: infer Responses }
    ? S extends keyof Responses
      ? Json<Responses[S]>
      : never
    : never;

/** What a write answers when queued (202), and with `?wait=true` its outcome (200) or still pending (202). */
export type Queued<P extends Path> = Answer<P, 'post', 202>;
export type Outcome<P extends Path> = Answer<P, 'post', 200> | Answer<P, 'post', 202>;
