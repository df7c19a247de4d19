import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { apiError } from '../../domain/api-error.js';
import type { ApiKey, ApiKeyring, Scope } from '../../domain/api-keys.js';
import { HttpProblem } from './problems.js';

// Kept beside the request rather than decorated onto it, so no global Fastify type is widened.
const callers = new WeakMap<FastifyRequest, ApiKey>();

/** The key a request authenticated with, for rate limiting and logs; undefined on routes that need none. */
export const callerOf = (request: FastifyRequest): ApiKey | undefined => callers.get(request);

/** An onRequest hook: 401 without a valid bearer key, 403 when the key lacks `scope`; before the body is read. */
export function requireScope(keyring: ApiKeyring, scope: Scope): onRequestAsyncHookHandler {
  return async (request) => {
    const result = keyring.authorize(request.headers.authorization, scope);
    if (!result.ok) {
      if (result.status === 401) throw new HttpProblem(401, apiError('unauthorized', result.message), { 'www-authenticate': 'Bearer' });
      throw new HttpProblem(403, apiError('forbidden', result.message));
    }
    callers.set(request, result.caller);
  };
}
