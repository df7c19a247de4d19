import {
  ID_MAX_LENGTH,
  clientProblem,
  invalidRequest,
  problem,
  type ErrorCode,
  type ErrorDetail,
  type Problem,
  type SchemaViolation,
} from '@tally/contracts';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
// the route schemas' OpenAPI fields (summary, tags): @fastify/swagger adds them to fastify's schema type
import type {} from '@fastify/swagger';
import type { Metrics } from './metrics.js';
import { withTimeout } from './timeout.js';

/** A named dependency check; resolves when that dependency can serve, throws with the reason otherwise. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface OpsServer {
  app: FastifyInstance;
  port: number;
  close: () => Promise<void>;
}

interface OpsServerOptions {
  port: number;
  host?: string;
  metrics: Metrics;
  logger: Logger;
  readiness: ReadinessCheck[];
  /** Lets a service add its own routes (reads) to the same server before it listens. */
  routes?: (app: FastifyInstance) => void | Promise<void>;
}

/**
 * `/healthz` says the process is alive (the event loop answers); `/readyz` says it can do its job right now
 * (every dependency answers), so Kubernetes restarts only the first and stops routing on the second.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const app = opsApp(options.logger);
  registerOpsRoutes(app, options);

  if (options.routes) await options.routes(app);
  await app.listen({ port: options.port, host: options.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return { app, port, close: () => app.close() };
}

/** The server a service's ops routes and reads run on, before anything is registered or it listens. */
export function opsApp(logger: Logger): FastifyInstance {
  return Fastify({
    // per-request lines at info would drown the service's own logs; errors still come through (unless the
    // service's logger is quieter still, as in tests)
    loggerInstance: logger.child(
      { component: 'http' },
      { level: logger.levelVal > logger.levels.values.warn! ? logger.level : 'warn' },
    ) as FastifyBaseLogger,
    // unknown query fields are an error, not silently dropped (fastify's default removes them)
    ajv: { customOptions: { removeAdditional: false } },
    // the router refuses longer path parameters before any validation (its default is 100): leave room for any
    // legal id, even percent-encoded, so ids are judged by their schema, as the gateway judges them
    routerOptions: { maxParamLength: 3 * ID_MAX_LENGTH },
    // a URL the router cannot read (bad percent-encoding) is answered in the API's error shape, not Fastify's
    frameworkErrors: (error, _request, reply) =>
      void sendProblem(reply, 'invalid_request', `the URL cannot be read: ${error.message}`),
  }) as unknown as FastifyInstance;
}

/**
 * The three ops routes on an existing server: what startOpsServer serves, and what a service whose main port is
 * already an HTTP server (the gateway) adds to it rather than opening a second port.
 */
export function registerOpsRoutes(
  app: FastifyInstance,
  options: { metrics: Metrics; readiness: ReadinessCheck[] },
): void {
  const ops = { tags: ['ops'] };
  app.get('/healthz', { schema: { ...ops, summary: 'The process is alive' } }, async () => ({ status: 'ok' }));

  app.get(
    '/readyz',
    { schema: { ...ops, summary: 'Every dependency answers, so the service can do its job' } },
    async (_request, reply) => {
      const results = await Promise.all(options.readiness.map(runCheck));
      const ready = results.every((r) => r.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
    },
  );

  app.get('/metrics', { schema: { ...ops, summary: 'Prometheus metrics' } }, async (_request, reply) => {
    const body = await options.metrics.metrics();
    return reply.type(options.metrics.contentType).send(body);
  });
}

async function runCheck(readiness: ReadinessCheck): Promise<{ name: string; ok: boolean; error?: string }> {
  try {
    await withTimeout(readiness.check(), 2000, 'answer');
    return { name: readiness.name, ok: true };
  } catch (error) {
    return { name: readiness.name, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Answers `code` in the API's error shape, with the status the contract's list gives it. */
export const sendProblem = (reply: FastifyReply, code: ErrorCode, message: string, details: ErrorDetail[] = []) =>
  sendAnswer(reply, problem(code, message, details));

const sendAnswer = (reply: FastifyReply, { status, body }: Problem) => reply.code(status).send(body);

/**
 * The error shape of docs/API.md for a service's read routes: a request the route schema refuses is a 400 with
 * each bad field worded as the gateway words it; a refusal HTTP names (a body that is not JSON) keeps its 4xx;
 * anything else is logged and answered 503 (`unavailable`: the state store could not be read) so clients retry
 * instead of treating it as their fault.
 */
export function answerReadErrors(app: FastifyInstance, unavailableMessage: string): void {
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) {
      const invalid = invalidRequest(error.validationContext ?? 'request', error.validation as SchemaViolation[]);
      return sendProblem(reply, invalid.error, invalid.message, invalid.details);
    }
    app.log.error({ err: error }, 'read failed');
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      return sendAnswer(reply, clientProblem(error.statusCode, error.message));
    return sendProblem(reply, 'unavailable', unavailableMessage);
  });
}
