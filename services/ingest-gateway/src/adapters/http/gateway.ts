import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { NO_SHARDS, type StreamShards } from '@tally/contracts';
import type { AssetCatalogue } from '@tally/money';
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
import type { RecordWriter } from '../../ports/record-writer.js';
import type { ConsoleHub } from '../console/console-hub.js';
import { consoleRoutes } from '../console/console-routes.js';
import type { OutcomeWaiters } from '../kafka/outcome-waiters.js';
import { capConnectionsPerAddress, installRateLimits } from './abuse-limits.js';
import { installApiDocs } from './api-docs.js';
import { installCors, type CorsOrigins } from './cors.js';
import { counterReadRoutes } from './counter-read-routes.js';
import { heartbeatRoutes } from './heartbeat-routes.js';
import { holdRoutes } from './hold-routes.js';
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
import { createValidation, type Validation } from './validation.js';
import { viewerReadRoutes } from './viewer-read-routes.js';
import { walletReadRoutes } from './wallet-read-routes.js';
import { walletRoutes } from './wallet-routes.js';

const OPS_URLS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

export interface GatewayDeps {
  logger: Logger;
  metrics: Metrics;
  keyring: ApiKeyring;
  heartbeats: RecordWriter<Heartbeat>;
  /** VIEWER_STREAM_SHARDS: hot streams' shard counts, which key their heartbeats by session shard. */
  streamShards?: StreamShards;
  itemEvents: RecordWriter<ItemEvent>;
  walletCommands: RecordWriter<WalletCommand>;
  walletOutcomes: OutcomeWaiters<WalletOutcome>;
  /** ASSETS: the assets the ledger counts, each with its scale and limits; a wallet write of any other is 400. */
  assets: AssetCatalogue;
  /** WRITE_DEADLINE_MS: every write's one deadline, shared by its acknowledgement and its `?wait=true` wait. */
  writeDeadlineMs: number;
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
  /** CORS_ORIGINS: the origins whose browser pages may call the API, or "*" for any; absent or none: no CORS. */
  corsOrigins?: CorsOrigins;
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

/**
 * The public HTTP API, built but not listening (service.ts listens; unit tests inject): the server's limits, the
 * problem shape, metrics, CORS, docs, probes and rate limits on the root, then each route family as a plugin of
 * its own.
 */
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
  // first of the onRequest hooks: a preflight is answered before draining, rate limits and keys (see cors.ts)
  await installCors(app, deps.corsOrigins);

  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', async () => {
    if (draining) throw unavailable('the gateway is shutting down; retry and another instance will answer');
  });

  await installApiDocs(app);
  // probes and scrapes are never limited (see OPS_URLS)
  registerOpsRoutes(app, { metrics: deps.metrics, readiness: deps.readiness });

  await installRateLimits(app, deps.keyring, {
    perKeyPerSecond: deps.limits.perKeyPerSecond,
    perAddressPerSecond: deps.limits.perAddressPerSecond,
    unlimitedUrls: OPS_URLS,
  });

  await registerRouteFamilies(app, deps, validation);
  return app;
}

/**
 * Each family of routes is a plugin of its own, given only what it uses. Registered after the root's hooks, error
 * handling and validator, which every family inherits; a family holding something open closes it itself.
 */
async function registerRouteFamilies(app: FastifyInstance, deps: GatewayDeps, validation: Validation): Promise<void> {
  const { keyring, writeDeadlineMs } = deps;
  const clock = deps.clock ?? Date.now;
  await app.register(heartbeatRoutes, {
    keyring,
    heartbeats: deps.heartbeats,
    streamShards: deps.streamShards ?? NO_SHARDS,
    validation,
    clock,
    writeDeadlineMs,
  });
  await app.register(viewerReadRoutes, { owner: { name: 'viewer-aggregator', ...deps.viewerAggregator } });
  await app.register(itemRoutes, { keyring, itemEvents: deps.itemEvents, validation, clock, writeDeadlineMs });
  await app.register(counterReadRoutes, { owner: { name: 'counter-materializer', ...deps.counterMaterializer } });
  const wallets = { keyring, walletCommands: deps.walletCommands, walletOutcomes: deps.walletOutcomes, clock };
  await app.register(walletRoutes, { ...wallets, assets: deps.assets, validation, writeDeadlineMs });
  await app.register(holdRoutes, { ...wallets, assets: deps.assets, writeDeadlineMs });
  await app.register(walletReadRoutes, { owner: { name: 'wallet-ledger', ...deps.walletLedger }, keyring });
  const { queueCommands, ticketKey } = deps;
  await app.register(queueRoutes, { keyring, queueCommands, ticketKey, validation, clock, writeDeadlineMs });
  await app.register(queueReadRoutes, { owner: { name: 'queue-admitter', ...deps.queueAdmitter }, keyring });
  const { pollDefinitions, regionBallots } = deps;
  await app.register(pollRoutes, { keyring, pollDefinitions, regionBallots, validation, clock, writeDeadlineMs });
  await app.register(pollReadRoutes, { owner: { name: 'vote-merger', ...deps.voteMerger } });
  if (deps.console) await app.register(consoleRoutes, { ...deps.console, keyring });
}
