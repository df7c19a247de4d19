import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { registerOpsRoutes, type Logger, type Metrics, type ReadinessCheck } from '@tally/observability';
import type { Ballot, Heartbeat, ItemEvent, PollDefinition, QueueCommand, WalletCommand, WalletOutcome } from '@tally/schemas';
import { apiError } from '../../domain/api-error.js';
import type { ApiKeyring } from '../../domain/api-keys.js';
import { ID_MAX_LENGTH } from '../../domain/ids.js';
import type { OutcomeWaiters } from '../../domain/outcome-waiters.js';
import type { ConsoleHub } from '../console/console-hub.js';
import { consoleRoutes } from '../console/console-routes.js';
import type { RecordWriter } from '../kafka/record-writer.js';
import { callerOf } from './auth.js';
import { counterReadRoutes } from './counter-read-routes.js';
import { documentEmptyBodiesOptional } from './empty-body.js';
import { heartbeatRoutes } from './heartbeat-routes.js';
import { observeHttp } from './http-metrics.js';
import { itemRoutes } from './item-routes.js';
import { pollReadRoutes } from './poll-read-routes.js';
import { pollRoutes } from './poll-routes.js';
import { HttpProblem, clientErrorProblem, connectProblem, frameworkProblem, installProblemHandling, unavailable } from './problems.js';
import { queueReadRoutes } from './queue-read-routes.js';
import { queueRoutes } from './queue-routes.js';
import type { ReadOwner } from './read-routing.js';
import { createValidation } from './validation.js';
import { viewerReadRoutes } from './viewer-read-routes.js';
import { walletReadRoutes } from './wallet-read-routes.js';
import { walletRoutes } from './wallet-routes.js';

export interface GatewayDeps {
  logger: Logger;
  metrics: Metrics;
  keyring: ApiKeyring;
  heartbeats: RecordWriter<Heartbeat>;
  itemEvents: RecordWriter<ItemEvent>;
  walletCommands: RecordWriter<WalletCommand>;
  walletOutcomes: OutcomeWaiters<WalletOutcome>;
  walletWaitMs: number;
  queueCommands: RecordWriter<QueueCommand>;
  pollDefinitions: RecordWriter<PollDefinition>;
  /** One writer per region this gateway takes votes for (VOTE_REGIONS), each to that region's ballots topic. */
  regionBallots: ReadonlyMap<string, RecordWriter<Ballot>>;
  viewerAggregator: Omit<ReadOwner, 'name'>;
  counterMaterializer: Omit<ReadOwner, 'name'>;
  walletLedger: Omit<ReadOwner, 'name'>;
  queueAdmitter: Omit<ReadOwner, 'name'>;
  voteMerger: Omit<ReadOwner, 'name'>;
  rateLimitPerSecond: number;
  readiness: ReadinessCheck[];
  /** The live console at /console (absent in tests of the API alone). */
  console?: ConsoleHub;
  /** Stamps receipt times; injectable so tests can pin it. */
  clock?: () => number;
}

/** The public HTTP API, built but not listening, so tests and main choose the port. */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const validation = createValidation();
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // one line per request would be the largest log volume of the platform; metrics count requests instead
    logController: new LogController({ disableRequestLogging: true }),
    // the router refuses longer path parameters before any validation (its default is 100): leave room for any
    // legal id, even percent-encoded, so ids are judged by their schema and a client is told what is wrong
    routerOptions: { maxParamLength: 3 * ID_MAX_LENGTH },
    frameworkErrors: frameworkProblem,
    clientErrorHandler: clientErrorProblem,
    // Fastify's own 503 while closing has its own body shape; draining below answers in ours
    return503OnClosing: false,
  }) as unknown as FastifyInstance;
  app.server.on('connect', connectProblem);
  app.setValidatorCompiler(validation.compiler);
  // JSON is the only body we take: anything else is 415, not a string that fails validation later
  app.removeContentTypeParser(['text/plain']);
  installProblemHandling(app);
  observeHttp(app, deps.metrics);

  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', async () => {
    if (draining) throw unavailable('the gateway is shutting down; retry and another instance will answer');
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tally public API',
        version: '0.1.0',
        description:
          'One base URL for writes (acknowledged by Kafka before 202) and reads (routed to the service that owns the state). ' +
          'Every error is {"error": "<code>", "message": "<sentence>", "details": [{"field", "message"}]}.',
      },
      tags: [
        { name: 'viewers', description: 'Live viewers' },
        { name: 'counters', description: 'Counters and rankings' },
        { name: 'wallets', description: 'Wallet ledger: balances kept as integer minor units, every transaction in the history exactly once' },
        { name: 'queues', description: 'Waiting queue: first come, first served; the server admits, clients poll their ticket' },
        { name: 'polls', description: 'Global votes: each region counts its own; the merger ranks the world' },
        { name: 'ops', description: 'Health, readiness and metrics' },
      ],
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'An API key from API_KEYS' } } },
    },
    transformObject: documentEmptyBodiesOptional,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // registered before the rate limiter, so probes, scrapes and docs are never limited
  registerOpsRoutes(app, { metrics: deps.metrics, readiness: deps.readiness });

  await app.register(rateLimit, {
    max: deps.rateLimitPerSecond,
    timeWindow: 1000,
    // after onRequest (where the key is checked) and before the body is read: limits by key, not address
    hook: 'preParsing',
    keyGenerator: (request) => {
      const caller = callerOf(request);
      return caller ? `key:${caller.name}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => new HttpProblem(context.statusCode, apiError('rate_limited', `too many requests; retry in ${context.after}`)),
  });

  const clock = deps.clock ?? Date.now;
  heartbeatRoutes(app, { keyring: deps.keyring, heartbeats: deps.heartbeats, validation, clock });
  viewerReadRoutes(app, { name: 'viewer-aggregator', ...deps.viewerAggregator });
  itemRoutes(app, { keyring: deps.keyring, itemEvents: deps.itemEvents, clock });
  counterReadRoutes(app, { name: 'counter-materializer', ...deps.counterMaterializer });
  const { walletCommands, walletOutcomes, walletWaitMs } = deps;
  walletRoutes(app, { keyring: deps.keyring, walletCommands, walletOutcomes, walletWaitMs, clock });
  walletReadRoutes(app, { name: 'wallet-ledger', ...deps.walletLedger });
  queueRoutes(app, { keyring: deps.keyring, queueCommands: deps.queueCommands, clock });
  queueReadRoutes(app, { name: 'queue-admitter', ...deps.queueAdmitter });
  pollRoutes(app, { keyring: deps.keyring, pollDefinitions: deps.pollDefinitions, regionBallots: deps.regionBallots, clock });
  pollReadRoutes(app, { name: 'vote-merger', ...deps.voteMerger });
  if (deps.console) await consoleRoutes(app, deps.console);
  return app;
}
