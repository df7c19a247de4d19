import type { FastifyReply } from 'fastify';
import { apiError } from '../../domain/api-error.js';
import { HttpProblem, unavailable } from './problems.js';

/** A service that owns some state and answers its reads; the gateway routes clients to it under one base URL. */
export interface ReadOwner {
  name: string;
  baseUrl: string;
  timeoutMs: number;
}

/** A GET, or, for a read that sends something to check (an admission token), a POST of that JSON body. */
function ownerRequest(sent: object | undefined): RequestInit {
  if (sent === undefined) return { headers: { accept: 'application/json' } };
  return { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(sent) };
}

/**
 * Asks the owner the same path (with the validated body `sent`, if any) and passes its status and JSON body
 * through unchanged. Unreachable or too slow is 503 (retry soon); an answer that is not JSON is 502: either way
 * in the API's error shape.
 */
export async function routeRead(owner: ReadOwner, pathAndQuery: string, reply: FastifyReply, sent?: object): Promise<FastifyReply> {
  const url = `${owner.baseUrl.replace(/\/+$/, '')}${pathAndQuery}`;
  let status: number;
  let body: string;
  try {
    const response = await fetch(url, { ...ownerRequest(sent), redirect: 'error', signal: AbortSignal.timeout(owner.timeoutMs) });
    status = response.status;
    body = await response.text();
  } catch (error) {
    reply.log.warn({ err: error, owner: owner.name }, 'read owner unreachable');
    throw unavailable(`${owner.name} cannot be reached right now; try again shortly`);
  }
  try {
    JSON.parse(body);
  } catch {
    reply.log.warn({ owner: owner.name, status }, 'read owner answered with something that is not JSON');
    throw new HttpProblem(502, apiError('bad_gateway', `${owner.name} answered HTTP ${status} with a body that is not JSON`));
  }
  // already JSON text: sent as is, so the owner's answer reaches the client byte for byte
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}
