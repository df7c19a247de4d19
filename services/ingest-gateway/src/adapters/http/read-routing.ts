import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { apiError } from '../../domain/api-error.js';
import type { ApiKeyring } from '../../domain/api-keys.js';
import { HttpProblem, unavailable } from './problems.js';

/** A service that owns some state and answers its reads; the gateway routes clients to it under one base URL. */
export interface ReadOwner {
  name: string;
  baseUrl: string;
  timeoutMs: number;
  /** Kept-alive connections of its own (see ownConnections); without, the process-wide pool. */
  agent?: HttpAgent;
}

/** What a family of public read routes is registered with: the service that answers them. */
export interface PublicReadOptions {
  owner: ReadOwner;
}

/** What a family of private read routes is registered with: the owner, and the keys that may read. */
export interface PrivateReadOptions extends PublicReadOptions {
  keyring: ApiKeyring;
}

/**
 * Kept-alive connections to the owners, through node:http rather than fetch: a read is one small GET on a
 * warm socket, and fetch's streams, AbortSignal and promise layers cost a third of the gateway's CPU for it
 * (profiled in docs/BENCHMARKS.md).
 */
const KEPT_ALIVE = { keepAlive: true, maxSockets: 256 };
const sharedAgents = { 'http:': new HttpAgent(KEPT_ALIVE), 'https:': new HttpsAgent(KEPT_ALIVE) };

/**
 * `owner` with kept-alive connections of its own, closed when `app` closes: a family of read routes holds its
 * sockets to its owner, and a closed gateway leaves none open behind it.
 */
export function ownConnections(app: FastifyInstance, owner: ReadOwner): ReadOwner {
  const agent = new URL(owner.baseUrl).protocol === 'https:' ? new HttpsAgent(KEPT_ALIVE) : new HttpAgent(KEPT_ALIVE);
  app.addHook('onClose', async () => agent.destroy());
  return { ...owner, agent };
}

interface OwnerAnswer {
  status: number;
  body: string;
}

/** One request to the owner: a GET, or, for a read that sends something to check (an admission token), a POST of that JSON. */
function askOwner(
  url: URL,
  sent: object | undefined,
  owner: ReadOwner,
  retryOnStaleSocket = true,
): Promise<OwnerAnswer> {
  const { timeoutMs } = owner;
  const agent = owner.agent ?? sharedAgents[url.protocol as 'http:'];
  const payload = sent === undefined ? undefined : JSON.stringify(sent);
  const headers: Record<string, string | number> = { accept: 'application/json' };
  if (payload !== undefined)
    Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      { method: payload === undefined ? 'GET' : 'POST', agent, headers },
      (response: IncomingMessage) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    request.on('close', () => clearTimeout(timer));
    request.on('error', (error: NodeJS.ErrnoException) => {
      // the owner closed an idle kept-alive socket just as we reused it: nothing was read, so asking again is safe
      if (retryOnStaleSocket && request.reusedSocket && error.code === 'ECONNRESET')
        resolve(askOwner(url, sent, owner, false));
      else reject(error);
    });
    request.end(payload);
  });
}

/** One GET of the owner's JSON, for the gateway's own use (the console); throws when unreachable or not JSON. */
export async function readOwnerJson(
  owner: ReadOwner,
  pathAndQuery: string,
): Promise<{ status: number; body: unknown }> {
  const answer = await askOwner(new URL(`${owner.baseUrl.replace(/\/+$/, '')}${pathAndQuery}`), undefined, owner);
  return { status: answer.status, body: JSON.parse(answer.body) as unknown };
}

/**
 * Asks the owner the same path (with the validated body `sent`, if any) and passes its status and JSON body
 * through unchanged. Unreachable or too slow is 503 (retry soon); an answer that is not JSON (a redirect
 * included: none is followed) is 502: either way in the API's error shape.
 */
export async function routeRead(
  owner: ReadOwner,
  pathAndQuery: string,
  reply: FastifyReply,
  sent?: object,
  cacheControl?: string,
): Promise<FastifyReply> {
  const url = new URL(`${owner.baseUrl.replace(/\/+$/, '')}${pathAndQuery}`);
  let answer: OwnerAnswer;
  try {
    answer = await askOwner(url, sent, owner);
  } catch (error) {
    reply.log.warn({ err: error, owner: owner.name }, 'read owner unreachable');
    throw unavailable(`${owner.name} cannot be reached right now; try again shortly`);
  }
  try {
    JSON.parse(answer.body);
  } catch {
    reply.log.warn({ owner: owner.name, status: answer.status }, 'read owner answered with something that is not JSON');
    throw new HttpProblem(
      502,
      apiError('bad_gateway', `${owner.name} answered HTTP ${answer.status} with a body that is not JSON`),
    );
  }
  // the owner's cache-control is not passed on: the gateway says what may be cached, route by route
  if (cacheControl !== undefined && answer.status === 200) reply.header('cache-control', cacheControl);
  // already JSON text: sent as is, so the owner's answer reaches the client byte for byte
  return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
}
