/** What every fuzz case starts from: a valid request for one route, and how to send it as is or changed. */
import type { ApiRoute } from './openapi.js';
import type { Prng } from './prng.js';
import type { FuzzRequest } from './raw-http.js';
import { queryOf, targetOf, type RequestParts } from './valid-requests.js';

export interface CaseContext {
  route: ApiRoute;
  /** A valid request for the route, to change. */
  parts: RequestParts;
  prng: Prng;
  apiKey: string;
}

/** Builds one fuzz request for a route from its valid parts. */
export type CaseBuilder = (context: CaseContext) => FuzzRequest;

export const jsonType: [string, string] = ['content-type', 'application/json'];
export const bearer = (apiKey: string): [string, string] => ['authorization', `Bearer ${apiKey}`];

/** The headers a client sends with the valid request: JSON when there is a body, the key when the route needs one. */
export function clientHeaders({ route, parts, apiKey }: CaseContext): [string, string][] {
  return [...(parts.body !== undefined ? [jsonType] : []), ...(route.needsKey ? [bearer(apiKey)] : [])];
}

/** The valid request as a client sends it, with `change` applied: any part may be replaced. */
export function sendAs(
  context: CaseContext,
  label: string,
  change: Partial<Omit<FuzzRequest, 'label'>> = {},
): FuzzRequest {
  const { route, parts } = context;
  return {
    label,
    method: route.method,
    target: targetOf(route, parts.pathParams, queryOf(parts.query)),
    headers: clientHeaders(context),
    ...(parts.body !== undefined ? { body: JSON.stringify(parts.body) } : {}),
    ...change,
  };
}

/** The same headers with `name` (any case) left out. */
export const without = (headers: [string, string][], name: string) => headers.filter(([n]) => n.toLowerCase() !== name);

/** A weighted choice of builders: each case family gets about its share of the requests. */
export function weighted(prng: Prng, choices: readonly [number, CaseBuilder][]): CaseBuilder {
  const total = choices.reduce((sum, [weight]) => sum + weight, 0);
  let draw = prng.next() * total;
  for (const [weight, builder] of choices) {
    draw -= weight;
    if (draw < 0) return builder;
  }
  return choices[choices.length - 1]![1];
}
