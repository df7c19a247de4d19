import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { registerOpsRoutes, type Logger, type Metrics, type ReadinessCheck } from '@tally/observability';
import type {
  Ballot,
  Heartbeat,
  ItemEvent,
  PollDefinition,
  QueueCommand,
  WalletCommand,
  WalletOutcome,
} from '@tally/schemas';
import type { ApiKeyring } from '../../domain/api-keys.js';
import { ID_MAX_LENGTH } from '../../domain/ids.js';
import type { OutcomeWaiters } from '../../domain/outcome-waiters.js';
import type { ConsoleHub } from '../console/console-hub.js';
import { consoleRoutes } from '../console/console-routes.js';
import type { RecordWriter } from '../kafka/record-writer.js';
import { capConnectionsPerAddress, installRateLimits } from './abuse-limits.js';
import { counterReadRoutes } from './counter-read-routes.js';
import { documentEmptyBodiesOptional } from './empty-body.js';
import { heartbeatRoutes } from './heartbeat-routes.js';
import { observeHttp } from './http-metrics.js';
import { itemRoutes } from './item-routes.js';
import { pollReadRoutes } from './poll-read-routes.js';
import { pollRoutes } from './poll-routes.js';
import {
  clientErrorProblem,
  connectProblem,
  frameworkProblem,
  installProblemHandling,
  unavailable,
} from './problems.js';
import { queueReadRoutes } from './queue-read-routes.js';
import { queueRoutes } from './queue-routes.js';
import type { ReadOwner } from './read-routing.js';
import { createValidation } from './validation.js';
import { viewerReadRoutes } from './viewer-read-routes.js';
import { walletReadRoutes } from './wallet-read-routes.js';
import { walletRoutes } from './wallet-routes.js';

const OPS_URLS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

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
  /** TICKET_KEY: ticket ids and secrets are derived from it. */
  ticketKey: string;
  limits: GatewayLimits;
  readiness: ReadinessCheck[];
  /** The live console at /console, and how many of its streams one key may hold open (absent in tests of the API alone). */
  console?: { hub: ConsoleHub; streamsPerKey: number };
  /** Stamps receipt times; injectable so tests can pin it. */
  clock?: () => number;
}

/** What bounds one client's use of the gateway (see abuse-limits.ts and the README's table). */
export interface GatewayLimits {
  /** Requests per second per API key. */
  perKeyPerSecond: number;
  /** Requests per second per client address without a valid key (public reads, ticket reads, refused keys). */
  perAddressPerSecond: number;
  /** Open connections per client address. */
  connectionsPerAddress: number;
  /** Client addresses (or CIDRs) of proxies whose X-Forwarded-For is believed; empty: none, the socket's address counts. */
  trustedProxies: readonly string[];
}

/** Slow or idle clients: how long the headers of a request, a whole request, and an idle kept-alive connection may take. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Headers past this many are not read (their total size is bounded apart: 16 KiB, Node's default, else 431). */
const MAX_HEADERS_COUNT = 100;

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
    // slowloris: a client dribbling headers or a body is cut off rather than holding a socket for ever
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    ...(deps.limits.trustedProxies.length > 0 ? { trustProxy: [...deps.limits.trustedProxies] } : {}),
    // Node checks the two timeouts every connectionsCheckingInterval (30 s by default), which let a slow client stay
    // up to a minute; checked every second, it is cut off within a second of its time
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 },
  }) as unknown as FastifyInstance;
  app.server.maxHeadersCount = MAX_HEADERS_COUNT;
  capConnectionsPerAddress(app.server, deps.limits.connectionsPerAddress);
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
          'Every error is {"error": "<code>", "message": "<sentence>", "details": [{"field", "message"}]}.\n\n' +
          "**Keys and scopes.** Writes need `Authorization: Bearer <key>` with the write's scope. Public aggregates (viewer counts, counts and rankings, " +
          "poll results, a queue's figures, the admission check and keys) are open and rate limited per client address. Private data needs a read scope: " +
          "a wallet and its history `wallets:read`; a ticket (with its admission token) `queues:read`, or the ticket's own `ticketSecret` from the join. " +
          'A key may be limited to some users or queues (ids or prefixes such as "acme:*"): anyone else\'s is 403. The console needs `console:read`. ' +
          'Every route is rate limited per key, or per client address without one: 429 with Retry-After.',
      },
      tags: [
        { name: 'viewers', description: 'Live viewers' },
        { name: 'counters', description: 'Counters and rankings' },
        {
          name: 'wallets',
          description:
            'Wallet ledger: balances kept as integer minor units, every transaction in the history exactly once',
        },
        {
          name: 'queues',
          description: 'Waiting queue: first come, first served; the server admits, clients poll their ticket',
        },
        { name: 'polls', description: 'Global votes: each region counts its own; the merger ranks the world' },
        { name: 'ops', description: 'Health, readiness and metrics' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key from API_KEYS. Its scopes say what it may do (a scope per kind of write; wallets:read and queues:read for private data; console:read for the console); ' +
              'it may be limited to some users (wallets) or queues, by id or id prefix ("acme:*").',
          },
          ticketSecret: {
            type: 'http',
            scheme: 'bearer',
            description:
              'The ticketSecret a join answered with: reads that one ticket (with its admission token) and nothing else',
          },
        },
      },
    },
    transformObject: documentEmptyBodiesOptional,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  // probes and scrapes are never limited (see OPS_URLS)
  registerOpsRoutes(app, { metrics: deps.metrics, readiness: deps.readiness });

  await installRateLimits(app, deps.keyring, {
    perKeyPerSecond: deps.limits.perKeyPerSecond,
    perAddressPerSecond: deps.limits.perAddressPerSecond,
    unlimitedUrls: OPS_URLS,
  });

  const clock = deps.clock ?? Date.now;
  heartbeatRoutes(app, { keyring: deps.keyring, heartbeats: deps.heartbeats, validation, clock });
  viewerReadRoutes(app, { name: 'viewer-aggregator', ...deps.viewerAggregator });
  itemRoutes(app, { keyring: deps.keyring, itemEvents: deps.itemEvents, clock });
  counterReadRoutes(app, { name: 'counter-materializer', ...deps.counterMaterializer });
  const { walletCommands, walletOutcomes, walletWaitMs } = deps;
  walletRoutes(app, { keyring: deps.keyring, walletCommands, walletOutcomes, walletWaitMs, clock });
  walletReadRoutes(app, { name: 'wallet-ledger', ...deps.walletLedger }, deps.keyring);
  queueRoutes(app, { keyring: deps.keyring, queueCommands: deps.queueCommands, ticketKey: deps.ticketKey, clock });
  queueReadRoutes(app, { name: 'queue-admitter', ...deps.queueAdmitter }, deps.keyring);
  pollRoutes(app, {
    keyring: deps.keyring,
    pollDefinitions: deps.pollDefinitions,
    regionBallots: deps.regionBallots,
    clock,
  });
  pollReadRoutes(app, { name: 'vote-merger', ...deps.voteMerger });
  if (deps.console) await consoleRoutes(app, { ...deps.console, keyring: deps.keyring });
  return app;
}
