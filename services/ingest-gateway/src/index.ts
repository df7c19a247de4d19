/**
 * What the gateway offers outside itself (scripts, tests, deploy's checks), through its package entry point
 * (@tally/ingest-gateway); its inside (domain, adapters, wiring) is its own, and `pnpm deps` keeps others out of it.
 * It runs from src/main.ts.
 */
export { gatewayConfig } from './config.js';
/** The commands the gateway writes to Kafka for a request: the benches write the same straight to the topics. */
export {
  toCompleteCommand,
  toConfigureCommand,
  toJoinCommand,
  toLeaveCommand,
  type ConfigureRequest,
  type JoinRequest,
} from './domain/queue.js';
export { toTransactionCommand, type TransactionRequest } from './domain/wallet.js';
