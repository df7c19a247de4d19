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
  /** Its public GETs under way, by path (see ownConnections): without, none is shared. */
  inFlight?: Map<string, Promise<OwnerAnswer>>;
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
 * sockets to its owner, and a closed gateway leaves none open behind it. Its public GETs in flight are shared.
 */
export function ownConnections(app: FastifyInstance, owner: ReadOwner): ReadOwner {
  const agent = new URL(owner.baseUrl).protocol === 'https:' ? new HttpsAgent(KEPT_ALIVE) : new HttpAgent(KEPT_ALIVE);
  app.addHook('onClose', async () => agent.destroy());
  return { ...owner, agent, inFlight: new Map() };
}

export interface OwnerAnswer {
  status: number;
  /** The owner's content-type: an owner that says it sends JSON is believed without parsing what it sent. */
  contentType: string | undefined;
  body: Buffer;
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
        // kept as bytes: the answer is passed on as it came, never decoded and encoded again
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            contentType: response.headers['content-type'],
            body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
          }),
        );
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

/**
 * JSON as the owner labelled it (every owner is a Fastify service, which labels what it serialises), or, for an
 * answer labelled otherwise, JSON all the same: only then is the body parsed to tell.
 */
export function isJsonAnswer(contentType: string | undefined, body: Buffer): boolean {
  if (contentType !== undefined && /^application\/([\w.-]+\+)?json\b/i.test(contentType)) return true;
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

const ownerUrl = (owner: ReadOwner, pathAndQuery: string) =>
  new URL(`${owner.baseUrl.replace(/\/+$/, '')}${pathAndQuery}`);

/** One GET of the owner's JSON, for the gateway's own use (the console); throws when unreachable or not JSON. */
export async function readOwnerJson(
  owner: ReadOwner,
  pathAndQuery: string,
): Promise<{ status: number; body: unknown }> {
  const answer = await askOwner(ownerUrl(owner, pathAndQuery), undefined, owner);
  return { status: answer.status, body: JSON.parse(answer.body.toString('utf8')) as unknown };
}

/**
 * A public GET of the owner, shared with the same GET already under way: while one is in flight, reads of the
 * same path join it instead of asking again. A hot aggregate (one stream's viewers, one poll's result) read by
 * many clients then costs the owner and the gateway one request per round trip, not one per client; what a
 * joining read gets was asked at most one round trip before it arrived, well within how far behind the writes
 * these aggregates already are (written through Kafka, applied by a consumer). Never used for private reads:
 * a wallet read after `?wait=true` must see that write.
 */
function askOwnerShared(owner: ReadOwner, pathAndQuery: string): Promise<OwnerAnswer> {
  const inFlight = owner.inFlight ?? new Map<string, Promise<OwnerAnswer>>();
  let answer = inFlight.get(pathAndQuery);
  if (answer === undefined) {
    answer = askOwner(ownerUrl(owner, pathAndQuery), undefined, owner).finally(() => inFlight.delete(pathAndQuery));
    inFlight.set(pathAndQuery, answer);
  }
  return answer;
}

export interface RouteReadOptions {
  /** A public aggregate: the same GET already in flight is joined (see askOwnerShared). */
  shared?: boolean;
  /** The validated body sent to the owner (a read that checks something, e.g. an admission token): a POST. */
  sent?: object;
  /** The cache-control of a 200: the gateway says what may be cached, route by route, never the owner. */
  cacheControl?: string;
}

/** How a public aggregate is read: shared while in flight. */
export const PUBLIC: RouteReadOptions = { shared: true };

/**
 * Asks the owner the same path and passes its status and JSON body through unchanged, byte for byte.
 * Unreachable or too slow is 503 (retry soon); an answer that is not JSON (a redirect included: none is
 * followed) is 502: either way in the API's error shape.
 */
export async function routeRead(
  owner: ReadOwner,
  pathAndQuery: string,
  reply: FastifyReply,
  options: RouteReadOptions = {},
): Promise<FastifyReply> {
  let answer: OwnerAnswer;
  try {
    answer = options.shared
      ? await askOwnerShared(owner, pathAndQuery)
      : await askOwner(ownerUrl(owner, pathAndQuery), options.sent, owner);
  } catch (error) {
    reply.log.warn({ err: error, owner: owner.name }, 'read owner unreachable');
    throw unavailable(`${owner.name} cannot be reached right now; try again shortly`);
  }
  if (!isJsonAnswer(answer.contentType, answer.body)) {
    reply.log.warn({ owner: owner.name, status: answer.status }, 'read owner answered with something that is not JSON');
    throw new HttpProblem(
      502,
      apiError('bad_gateway', `${owner.name} answered HTTP ${answer.status} with a body that is not JSON`),
    );
  }
  if (options.cacheControl !== undefined && answer.status === 200) reply.header('cache-control', options.cacheControl);
  return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
}
