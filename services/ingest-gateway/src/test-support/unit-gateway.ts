/**
 * For unit tests through app.inject: the whole gateway with no servers behind it. Writes are accepted without
 * Kafka, and every owner is unreachable, so a read let through answers 503 (routed) rather than 401/403 (refused).
 */
import type { FastifyInstance } from 'fastify';
import { createLogger, createMetrics } from '@tally/observability';
import { ApiKeyring, parseApiKeys } from '../../domain/api-keys.js';
import { OutcomeWaiters } from '../../domain/outcome-waiters.js';
import { buildGateway, type GatewayDeps, type GatewayLimits } from './gateway.js';

export const UNIT_TICKET_KEY = 'unit-test-ticket-key-0123456789abcdef';
export const nowhere = { baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 };
const accepting = { write: async () => undefined };

/** `keys` as API_KEYS would hold them (plaintext `key`s, as outside production); `more` overrides any dependency. */
export function unitGateway(
  keys: object[],
  limits: Partial<GatewayLimits> = {},
  more: Partial<GatewayDeps> = {},
): Promise<FastifyInstance> {
  return buildGateway({
    logger: createLogger('test', 'silent'),
    metrics: createMetrics(`unit-${Math.random()}`),
    keyring: new ApiKeyring(parseApiKeys(JSON.stringify(keys))),
    heartbeats: accepting,
    itemEvents: accepting,
    walletCommands: accepting,
    walletOutcomes: new OutcomeWaiters(),
    walletWaitMs: 100,
    queueCommands: accepting,
    pollDefinitions: accepting,
    regionBallots: new Map(),
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
