import type { FastifyRequest, onRequestAsyncHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import { apiError } from '../../domain/api-error.js';
import type { ApiKey, ApiKeyring, Authorization, NamedResources, Presented, Scope } from '../../domain/api-keys.js';
import { HttpProblem } from './problems.js';

// Kept beside the request rather than decorated onto it, so no global Fastify type is widened.
const callers = new WeakMap<FastifyRequest, ApiKey>();
const presentations = new WeakMap<FastifyRequest, Presented>();

/**
 * The key a request presents, looked up once per request (a hash and a compare with every configured key): the
 * rate limiter, the route's scope check and a body check all ask.
 */
export function presentedBy(request: FastifyRequest, keyring: ApiKeyring): Presented {
  let presented = presentations.get(request);
  if (presented === undefined) {
    presented = keyring.presented(request.headers.authorization);
    presentations.set(request, presented);
  }
  return presented;
}

/** The key a request authenticated with, for rate limiting and logs; undefined on routes that need none. */
export const callerOf = (request: FastifyRequest): ApiKey | undefined => callers.get(request);

/** Refuses in the API's error shape: 401 (with WWW-Authenticate) or 403. */
export function refusal(result: Extract<Authorization, { ok: false }>): HttpProblem {
  if (result.status === 401)
    return new HttpProblem(401, apiError('unauthorized', result.message), { 'www-authenticate': 'Bearer' });
  return new HttpProblem(403, apiError('forbidden', result.message));
}

/** Remembers who a request authenticated as, or throws the refusal. */
export function admit(request: FastifyRequest, result: Authorization): void {
  if (!result.ok) throw refusal(result);
  callers.set(request, result.caller);
}

/**
 * An onRequest hook: 401 without a valid bearer key, 403 when the key lacks `scope` or does not serve the
 * users or queues `named` finds in the path; before the body is read.
 */
export function requireScope(
  keyring: ApiKeyring,
  scope: Scope,
  named?: (params: Record<string, string>) => NamedResources,
): onRequestAsyncHookHandler {
  return async (request) => {
    admit(
      request,
      keyring.permit(presentedBy(request, keyring), scope, named?.(request.params as Record<string, string>)),
    );
  };
}

/**
 * A preHandler hook for the users or queues a request names in its body (after validation): 403 when the key
 * that was admitted at onRequest does not serve every one.
 */
export function requireServed<Body>(
  keyring: ApiKeyring,
  scope: Scope,
  named: (body: Body) => NamedResources,
): preHandlerAsyncHookHandler {
  return async (request) => {
    const result = keyring.permit(presentedBy(request, keyring), scope, named(request.body as Body));
    if (!result.ok) throw refusal(result);
  };
}

/** The users named by a `:userId` path parameter. */
export const pathUser = (params: Record<string, string>): NamedResources => ({ kind: 'users', ids: [params.userId!] });
/** The queue named by a `:queueId` path parameter. */
export const pathQueue = (params: Record<string, string>): NamedResources => ({
  kind: 'queues',
  ids: [params.queueId!],
});
