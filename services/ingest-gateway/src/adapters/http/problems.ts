import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '@tally/observability';
import { clientProblem, problem, type ErrorCode, type ErrorDetail, type Problem } from '@tally/contracts';
import { invalidRequest, type ApiError, type SchemaViolation } from '../../domain/api-error.js';

/** An answer other than success, in the API's error shape, thrown from any hook or handler. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.message);
    this.name = 'HttpProblem';
  }

  /** The answer for `code`, with the status the contract's list gives it. */
  static of(code: ErrorCode, message: string, details: ErrorDetail[] = [], headers: Record<string, string> = {}) {
    return HttpProblem.from(problem(code, message, details), headers);
  }

  static from({ status, body }: Problem, headers: Record<string, string> = {}) {
    return new HttpProblem(status, body, headers);
  }
}

/** Tells the client to come back in a second: the dependency it needs is expected back soon. */
export const unavailable = (message: string) => HttpProblem.of('unavailable', message, [], { 'retry-after': '1' });

/** The answer to a method and path no route takes. */
const noRouteMessage = (method: string, url: string) => `there is no route ${method} ${url.split('?')[0]}; see /docs`;

/**
 * Every error becomes the API's error shape, so Fastify's own (`statusCode`, `code`) never reaches a client:
 * schema violations and unreadable bodies are 4xx with what to fix; only our own failures are 5xx.
 */
export function installProblemHandling(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const problem = toProblem(error, request);
    // our own answers (503 unavailable, ...) were logged where they arose; anything else is a bug to look at
    if (problem.status >= 500 && !(error instanceof HttpProblem))
      request.log.error({ err: error, route: request.routeOptions.url }, 'request failed');
    // A body too large is refused before it is read, and Fastify then closes the connection: a client still sending
    // it would meet a reset before it reads the answer. So the rest is read and thrown away first (the HTTP parser
    // still frames it), for at most a moment; once it is all in, the connection may even stay open.
    if (problem.status === 413 && (await discardRest(request.raw, BODY_DISCARD_MS))) reply.removeHeader('connection');
    return reply.code(problem.status).headers(problem.headers).send(problem.body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 'not_found', noRouteMessage(request.method, request.url)),
  );
}

/** How long a refused body may keep arriving before the answer goes out anyway (and the connection closes). */
const BODY_DISCARD_MS = 2000;

/** Reads what is left of a request's body into nothing; true once all of it came, false if it was still coming after `ms`. */
function discardRest(raw: IncomingMessage, ms: number): Promise<boolean> {
  if (raw.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (whole: boolean) => {
      clearTimeout(timer);
      raw.off('end', ended);
      raw.off('close', closed);
      resolve(whole);
    };
    const ended = () => done(true);
    const closed = () => done(raw.complete);
    const timer = setTimeout(() => done(false), ms);
    raw.on('end', ended);
    raw.on('close', closed);
    raw.resume();
  });
}

/** For Fastify's `frameworkErrors`: URLs it cannot even route (bad percent-encoding, overlong parameters). */
export function frameworkProblem(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void sendProblem(reply, 'invalid_request', `the URL cannot be read: ${error.message}`);
}

/**
 * For Fastify's `clientErrorHandler`: bytes that are not HTTP never reach a route, so the answer is written to
 * the socket by hand, still in the API's error shape.
 */
export function clientErrorProblem(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    answerOnSocket(
      socket,
      'Request Timeout',
      problem(
        'request_timeout',
        'the request did not arrive in time (headers within 10 s, the whole request within 30 s)',
      ),
    );
    return;
  }
  const [status, reason] =
    error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
  answerOnSocket(socket, reason, clientProblem(status, 'the request is not valid HTTP/1.1'));
}

/**
 * For the HTTP server's `connect` event. Node hands a CONNECT (a request to open a proxy tunnel) to that event
 * rather than to the router, and drops the connection unanswered when nothing listens. The gateway is no proxy,
 * so it answers as it does for any method and path it has no route for.
 */
export function connectProblem(request: IncomingMessage, socket: Duplex): void {
  // Node took its own error listener off this socket: a client resetting it would otherwise crash the process
  socket.on('error', () => socket.destroy());
  answerOnSocket(socket, 'Not Found', problem('not_found', noRouteMessage('CONNECT', request.url ?? '')));
}

/** Writes a whole answer and closes the connection, for requests that never reach a route. */
function answerOnSocket(socket: Duplex, reason: string, { status, body: answer }: Problem): void {
  const body = JSON.stringify(answer);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function toProblem(error: FastifyError, request: FastifyRequest): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error.validation) {
    const invalid = invalidRequest(error.validationContext ?? 'request', error.validation as SchemaViolation[]);
    return HttpProblem.of(invalid.error, invalid.message, invalid.details);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return HttpProblem.of('malformed_json', 'the body is not valid JSON');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return HttpProblem.of('malformed_json', 'the body is empty; send a JSON object');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return HttpProblem.of(
        'payload_too_large',
        `the body is larger than this route accepts (${request.routeOptions.bodyLimit} bytes)`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return HttpProblem.of('unsupported_media_type', 'send the body as application/json');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return HttpProblem.from(clientProblem(status, error.message));
  return HttpProblem.of('internal', 'the gateway failed to handle this request; it has been logged');
}
