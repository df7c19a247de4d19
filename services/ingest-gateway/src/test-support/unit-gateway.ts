/**
 * For unit tests through app.inject: the whole gateway with no servers behind it. Writes go to memory (one
 * MemoryRecordWriter per topic), and every owner is unreachable, so a read let through answers 503 (routed)
 * rather than 401/403 (refused).
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { AssetCatalogue } from '@tally/money';
import { createLogger, createMetrics } from '@tally/observability';
import type { Ballot, Heartbeat, ItemEvent, PollDefinition, QueueCommand, WalletCommand } from '@tally/schemas';
import { buildGateway, type GatewayDeps, type GatewayLimits } from '../adapters/http/gateway.js';
import { OutcomeWaiters } from '../adapters/kafka/outcome-waiters.js';
import { ApiKeyring, parseApiKeys } from '../domain/api-keys.js';
import { keys } from './keys.js';
import { MemoryRecordWriter } from './memory-record-writer.js';
import type { Answer } from './problem.js';

export const UNIT_TICKET_KEY = 'unit-test-ticket-key-0123456789abcdef';
export const nowhere = { baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 };

/** What the gateway's write routes wrote, per topic. */
export interface MemoryTopics {
  heartbeats: MemoryRecordWriter<Heartbeat>;
  itemEvents: MemoryRecordWriter<ItemEvent>;
  walletCommands: MemoryRecordWriter<WalletCommand>;
  queueCommands: MemoryRecordWriter<QueueCommand>;
  pollDefinitions: MemoryRecordWriter<PollDefinition>;
  /** One per region the gateway takes votes for. */
  ballots: ReadonlyMap<string, MemoryRecordWriter<Ballot>>;
}

export function memoryTopics(regions: readonly string[] = []): MemoryTopics {
  return {
    heartbeats: new MemoryRecordWriter(),
    itemEvents: new MemoryRecordWriter(),
    walletCommands: new MemoryRecordWriter(),
    queueCommands: new MemoryRecordWriter(),
    pollDefinitions: new MemoryRecordWriter(),
    ballots: new Map(regions.map((region) => [region, new MemoryRecordWriter<Ballot>()])),
  };
}

/** How many records each topic holds, ballots per region in the order the regions were given. */
export function recordCounts(topics: MemoryTopics): Record<string, number> {
  return {
    heartbeats: topics.heartbeats.records.length,
    itemEvents: topics.itemEvents.records.length,
    walletCommands: topics.walletCommands.records.length,
    queueCommands: topics.queueCommands.records.length,
    pollDefinitions: topics.pollDefinitions.records.length,
    ...Object.fromEntries([...topics.ballots].map(([region, writer]) => [`ballots.${region}`, writer.records.length])),
  };
}

/** `keys` as API_KEYS would hold them (plaintext `key`s, as outside production); `more` overrides any dependency. */
export function unitGateway(
  keys: object[],
  limits: Partial<GatewayLimits> = {},
  more: Partial<GatewayDeps> = {},
  topics: MemoryTopics = memoryTopics(),
): Promise<FastifyInstance> {
  return buildGateway({
    logger: createLogger('test', 'silent'),
    metrics: createMetrics(`unit-${Math.random()}`),
    keyring: new ApiKeyring(parseApiKeys(JSON.stringify(keys))),
    heartbeats: topics.heartbeats,
    itemEvents: topics.itemEvents,
    walletCommands: topics.walletCommands,
    walletOutcomes: new OutcomeWaiters(),
    assets: AssetCatalogue.default(),
    writeDeadlineMs: 100,
    queueCommands: topics.queueCommands,
    pollDefinitions: topics.pollDefinitions,
    regionBallots: topics.ballots,
    viewerAggregator: nowhere,
    counterMaterializer: nowhere,
    walletLedger: nowhere,
    queueAdmitter: nowhere,
    voteMerger: nowhere,
    ticketKey: UNIT_TICKET_KEY,
    limits: {
      perKeyPerSecond: 1000,
      perAddressPerSecond: 1000,
      connectionsPerAddress: 100,
      trustedProxies: [],
      ...limits,
    },
    readiness: [],
    ...more,
  });
}

/**
 * One request through app.inject, answered in the shape the integration tests' `call` answers in, so one
 * `expectProblem` judges both. A body is sent byte for byte as given (an empty one too).
 */
export async function injectCall(
  app: FastifyInstance,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const response = await app.inject({
    method: method as HTTPMethods,
    url: path,
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { payload: init.body }),
  });
  let body: unknown = response.body;
  try {
    body = JSON.parse(response.body);
  } catch {
    // left as text: the test says whether that is wrong
  }
  const header = (name: string) => {
    const value = response.headers[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : String(value);
  };
  return { status: response.statusCode, headers: { get: header }, body: body as Record<string, unknown> };
}

/** A test file's unit gateway: the test keys, memory topics, and its requests through app.inject. */
export interface UnitWorld {
  topics: MemoryTopics;
  call: (method: string, path: string, init?: { headers?: Record<string, string>; body?: string }) => Promise<Answer>;
}

/**
 * One unit gateway for the whole test file, with the test keys (keys.ts) and a memory topic per write (ballots for
 * `regions`): built before its first test, closed after its last. `more` overrides any dependency (ASSETS, ...).
 */
export function unitGatewayForThisFile(regions: readonly string[] = [], more: Partial<GatewayDeps> = {}): UnitWorld {
  const topics = memoryTopics(regions);
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    app = await unitGateway(Object.values(keys), {}, more, topics);
  });
  afterAll(async () => {
    await app?.close();
  });
  return {
    topics,
    call: (method, path, init) => {
      if (!app) throw new Error('the unit gateway has not been built yet');
      return injectCall(app, method, path, init);
    },
  };
}
