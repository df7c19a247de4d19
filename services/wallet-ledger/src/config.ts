import { env, parseConfig, platformShape, type ParsedConfig } from '@tally/config';

export const configShape = {
  ...platformShape,
  KAFKA_CLIENT_ID: env.string('wallet-ledger'),
  PORT: env.port(8093),
  HOST: env.string('0.0.0.0'),
  CONSUMER_GROUP: env.string('wallet-ledger'),
  WALLET_COMMANDS_TOPIC: env.string('tally.wallet.commands'),
  WALLET_OUTCOMES_TOPIC: env.string('tally.wallet.outcomes'),
  DB_SCHEMA: env.string('wallet_ledger'),
  CONSUMER_CONCURRENCY: env.integer({ min: 1, max: 64, fallback: 4 }),
};

export type WalletLedgerConfig = ParsedConfig<typeof configShape>;

export const loadConfig = (source: NodeJS.ProcessEnv = process.env) => parseConfig(configShape, source);
